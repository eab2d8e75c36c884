/** One contender as the load generator sees it: an origin on loopback and how its invoke path is spelled. */
import { Pool } from "undici";
import { newHistogram, recordMs, summarize, type Histogram, type LatencySummary } from "../histogram.ts";

export interface Target {
  name: string;
  origin: string;
  path(env: string, fn: string): string;
  /** A unix socket per environment instead of the origin's TCP port (an executor's own socket). */
  socket?(env: string): string;
}

export interface Outcome {
  status: number;
  ms: number;
}

/** Keep-alive connections per origin (or socket), enough for the widest burst. */
const pools = new Map<string, Pool>();

export async function send(target: Target, env: string, fn: string, body: string): Promise<Outcome> {
  const socketPath = target.socket?.(env);
  const key = socketPath ?? target.origin;
  let pool = pools.get(key);
  if (!pool) pools.set(key, (pool = new Pool(target.origin, { connections: 128, pipelining: 1, headersTimeout: 0, bodyTimeout: 0, ...(socketPath ? { socketPath } : {}) })));
  const started = performance.now();
  const res = await pool.request({ path: target.path(env, fn), method: "POST", headers: { "content-type": "application/json" }, body });
  await res.body.arrayBuffer();
  return { status: res.statusCode, ms: performance.now() - started };
}

export async function closeClients(): Promise<void> {
  await Promise.all([...pools.values()].map((p) => p.close()));
  pools.clear();
}

/** Latencies of successful requests, and a count of every status seen. */
export class Recorder {
  readonly ok: Histogram = newHistogram();
  readonly statuses: Record<string, number> = {};
  busyMs = 0;

  add(outcome: Outcome): void {
    this.statuses[outcome.status] = (this.statuses[outcome.status] ?? 0) + 1;
    if (outcome.status === 200) recordMs(this.ok, outcome.ms);
  }

  get requests(): number {
    return Object.values(this.statuses).reduce((a, b) => a + b, 0);
  }

  report(): LatencySummary & { requests: number; statuses: Record<string, number>; rejected_503: number; throughput_rps?: number } {
    return {
      ...summarize(this.ok),
      requests: this.requests,
      statuses: this.statuses,
      rejected_503: this.statuses["503"] ?? 0,
      ...(this.busyMs > 0 ? { throughput_rps: Math.round((this.ok.totalCount / this.busyMs) * 1000 * 10) / 10 } : {}),
    };
  }
}
