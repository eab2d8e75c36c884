/**
 * Where the CPU of a request goes, by process: floor, vial and the isolate
 * pool each serve 10-row fuzzy batches in a closed loop (after a warm-up),
 * one contender at a time, and the CPU time every process of its tree used
 * (from /proc) is divided by the requests served. The load generator's own
 * CPU is counted too: on a two-core machine it competes for the same cores.
 *   npx tsx bench/cpu-per-request.ts [--concurrency 8] [--seconds 5]
 */
import { parseArgs } from "node:util";
import { readFile } from "node:fs/promises";
import { Pool } from "undici";
import { benchStore } from "./store.ts";
import { startServer, type ServerProcess } from "./servers/spawn.ts";
import { processTree } from "./process-tree.ts";
import { fuzzyBatch } from "./rows.ts";
import { FUZZY } from "./envs.ts";
import { VIAL_INVOKE_PATH } from "./servers/vial-path.ts";

const { values } = parseArgs({ options: { concurrency: { type: "string", default: "8" }, seconds: { type: "string", default: "5" } } });
const concurrency = Number(values.concurrency);
const seconds = Number(values.seconds);
const TICK_US = 10_000; // /proc/<pid>/stat counts CPU in clock ticks of 10 ms

/** CPU time of one process so far, microseconds (user + system). */
async function cpuUs(pid: number): Promise<number> {
  const fields = (await readFile(`/proc/${pid}/stat`, "utf8")).split(") ")[1]!.split(" ");
  return (Number(fields[11]) + Number(fields[12])) * TICK_US;
}

async function closedLoop(pool: Pool, path: string, body: string, ms: number): Promise<number> {
  let served = 0;
  const end = performance.now() + ms;
  const client = async () => {
    while (performance.now() < end) {
      const res = await pool.request({ method: "POST", path, body, headers: { "content-type": "application/json" } });
      await res.body.text();
      if (res.statusCode !== 200) throw new Error(`answered ${res.statusCode}`);
      served++;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, client));
  return served;
}

async function measure(name: string, server: ServerProcess, path: string) {
  const pool = new Pool(server.origin, { connections: concurrency });
  const body = fuzzyBatch(10);
  try {
    await closedLoop(pool, path, body, 2_000);
    const pids = await processTree(server.pid);
    const before = await Promise.all(pids.map(cpuUs));
    const self = process.cpuUsage();
    const served = await closedLoop(pool, path, body, seconds * 1000);
    const after = await Promise.all(pids.map(cpuUs));
    const own = process.cpuUsage(self);
    const perRequest = (us: number) => Math.round(us / served);
    const processes = pids.map((pid, i) => ({ pid, us_per_request: perRequest(after[i]! - before[i]!) })).filter((p) => p.us_per_request > 0);
    const client = perRequest(own.user + own.system);
    const total = processes.reduce((sum, p) => sum + p.us_per_request, client);
    return { name, req_per_s: Math.round(served / seconds), processes, client_us_per_request: client, total_us_per_request: total };
  } finally {
    await pool.close();
    await server.stop();
  }
}

const bench = await benchStore({ rebuild: false, progress: (msg) => console.error(msg) });
const store = bench.store.root;
const results = [
  await measure("floor", await startServer("./floor.ts", { envs: [{ name: FUZZY.name, module: FUZZY.module }] }), `/call/${FUZZY.name}/${FUZZY.fn}`),
  await measure(
    "vial",
    await startServer("./vial.ts", { store, size: 2, deadlineMs: 60_000, defaultMaxQueue: 64, maxQueue: {} }),
    VIAL_INVOKE_PATH(FUZZY.name, FUZZY.fn),
  ),
  await measure(
    "isolates",
    await startServer("./isolates.ts", { store, size: 2, memoryMiB: 256, envs: [{ name: FUZZY.name, from: FUZZY.name, maxQueue: 64 }] }),
    `/call/${FUZZY.name}/${FUZZY.fn}`,
  ),
];
console.log(`closed loop at concurrency ${concurrency}, ${seconds} s, 10-row fuzzy batches; CPU microseconds per request`);
for (const r of results) {
  const parts = r.processes.map((p, i) => `${i === 0 ? "server" : `child ${p.pid}`} ${p.us_per_request}`).join(", ");
  console.log(`${r.name.padEnd(9)} ${String(r.req_per_s).padStart(5)} req/s  total ${r.total_us_per_request} µs = ${parts}, load generator ${r.client_us_per_request}`);
}
