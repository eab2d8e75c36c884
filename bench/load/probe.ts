/**
 * One probe in a process of its own: one request at a time to one route
 * until the parent says stop (each starting `intervalMs` after the one
 * before, or at once when there is no interval or it took longer), then the
 * latency histogram's summary and the statuses. A process per probe keeps each probe's figures free of the
 * others' work and of the bench's own pauses (a busy probe next to others
 * in one process measured that process's garbage collection as latency).
 *   node --import tsx bench/load/probe.ts '<json: origin, method, path, body?, headers?>'
 */
import { setTimeout as sleep } from "node:timers/promises";
import { Pool } from "undici";
import { newHistogram, recordMs, summarize } from "../histogram.ts";

export interface ProbeConfig {
  origin: string;
  method: "GET" | "POST";
  path: string;
  body?: string;
  headers?: Record<string, string>;
  /** Time between the starts of two requests; none: the next starts as soon as the last is answered. */
  intervalMs?: number;
}

const cfg = JSON.parse(process.argv[2]!) as ProbeConfig;
const pool = new Pool(cfg.origin, { connections: 1 });
const headers = cfg.body ? { "content-type": "application/json", ...cfg.headers } : (cfg.headers ?? {});
const hist = newHistogram();
const statuses: Record<string, number> = {};
let stopping = false;
process.on("message", () => (stopping = true));
// Not measured: a fresh process's first request pays for its own connection and for compiling the client's code.
await (await pool.request({ method: cfg.method, path: cfg.path, body: cfg.body, headers })).body.arrayBuffer();
process.send!({ type: "started" });
while (!stopping) {
  const started = performance.now();
  const res = await pool.request({ method: cfg.method, path: cfg.path, body: cfg.body, headers });
  await res.body.arrayBuffer();
  recordMs(hist, performance.now() - started);
  statuses[res.statusCode] = (statuses[res.statusCode] ?? 0) + 1;
  const pause = started + (cfg.intervalMs ?? 0) - performance.now();
  if (pause > 0) await sleep(pause);
}
await pool.close();
process.send!({ type: "done", summary: summarize(hist), statuses }, () => process.exit(0));
