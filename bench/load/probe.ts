/**
 * One probe in a process of its own: one request at a time to one route
 * until the parent says stop, then the latency histogram's summary and the
 * statuses. A process per probe keeps each probe's figures free of the
 * others' work and of the bench's own pauses (a busy probe next to others
 * in one process measured that process's garbage collection as latency).
 *   node --import tsx bench/load/probe.ts '<json: origin, method, path, body?, headers?>'
 */
import { Pool } from "undici";
import { newHistogram, recordMs, summarize } from "../histogram.ts";

export interface ProbeConfig {
  origin: string;
  method: "GET" | "POST";
  path: string;
  body?: string;
  headers?: Record<string, string>;
}

const cfg = JSON.parse(process.argv[2]!) as ProbeConfig;
const pool = new Pool(cfg.origin, { connections: 1 });
const headers = cfg.body ? { "content-type": "application/json", ...cfg.headers } : (cfg.headers ?? {});
const hist = newHistogram();
const statuses: Record<string, number> = {};
let stopping = false;
process.on("message", () => (stopping = true));
process.send!({ type: "started" });
while (!stopping) {
  const started = performance.now();
  const res = await pool.request({ method: cfg.method, path: cfg.path, body: cfg.body, headers });
  await res.body.arrayBuffer();
  recordMs(hist, performance.now() - started);
  statuses[res.statusCode] = (statuses[res.statusCode] ?? 0) + 1;
}
await pool.close();
process.send!({ type: "done", summary: summarize(hist), statuses }, () => process.exit(0));
