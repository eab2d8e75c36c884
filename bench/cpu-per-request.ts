/**
 * Where the CPU of a request goes, by process (scenario H of the bench, on its own):
 *   npx tsx bench/cpu-per-request.ts [--concurrency 8] [--seconds 5]
 */
import { parseArgs } from "node:util";
import { benchStore } from "./store.ts";
import { cpuPerRequest } from "./scenarios/cpu.ts";

const { values } = parseArgs({ options: { concurrency: { type: "string", default: "8" }, seconds: { type: "string", default: "5" } } });
const concurrency = Number(values.concurrency);
const seconds = Number(values.seconds);
const bench = await benchStore({ rebuild: false, progress: (msg) => console.error(msg) });
const results = await cpuPerRequest({ store: bench.store.root, concurrency, seconds, progress: (msg) => console.error(msg) });
console.log(`closed loop at concurrency ${concurrency}, ${seconds} s, 10-row fuzzy batches; CPU microseconds per request`);
for (const r of results) {
  const parts = r.processes.map((p, i) => `${i === 0 ? "server" : `child ${p.pid}`} ${p.us_per_request}`).join(", ");
  console.log(`${r.name.padEnd(11)} ${String(r.req_per_s).padStart(5)} req/s  total ${r.total_us_per_request} µs = ${parts}, load generator ${r.client_us_per_request}`);
}
