/**
 * Where the CPU of a request goes, by process: floor, vial (through its host,
 * and on its executors' own sockets) and the isolate pool each serve 10-row fuzzy batches in a closed loop (after a warm-up),
 * one contender at a time, and the CPU time every process of its tree used
 * (from /proc) is divided by the requests served. The load generator's own
 * CPU is counted too: on a two-core machine it competes for the same cores.
 *   npx tsx bench/cpu-per-request.ts [--concurrency 8] [--seconds 5]
 */
import { parseArgs } from "node:util";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { closedLoop } from "./load/patterns.ts";
import { closeClients, Recorder, type Target } from "./load/target.ts";
import { benchStore } from "./store.ts";
import { startServer, type ServerProcess } from "./servers/spawn.ts";
import { processTree } from "./process-tree.ts";
import { fuzzyBatch } from "./rows.ts";
import { FUZZY } from "./envs.ts";
import { CONTENDER_CALL_PATH, VIAL_INVOKE_PATH } from "./servers/paths.ts";

const { values } = parseArgs({ options: { concurrency: { type: "string", default: "8" }, seconds: { type: "string", default: "5" } } });
const concurrency = Number(values.concurrency);
const seconds = Number(values.seconds);
const TICK_US = 10_000; // /proc/<pid>/stat counts CPU in clock ticks of 10 ms

/** CPU time of one process so far, microseconds (user + system). */
async function cpuUs(pid: number): Promise<number> {
  const fields = (await readFile(`/proc/${pid}/stat`, "utf8")).split(") ")[1]!.split(" ");
  return (Number(fields[11]) + Number(fields[12])) * TICK_US;
}

/** Serves a closed loop for `ms`; throws unless every answer was 200. Returns how many were served. */
async function served(target: Target, body: string, ms: number): Promise<number> {
  const rec = new Recorder();
  await closedLoop({ target, env: FUZZY.name, fn: FUZZY.fn, body }, concurrency, ms, rec);
  const other = Object.keys(rec.statuses).filter((status) => status !== "200");
  if (other.length) throw new Error(`${target.name} answered ${other.join(", ")}`);
  return rec.requests;
}

async function measure(name: string, server: ServerProcess, path: Target["path"], socket?: Target["socket"]) {
  const target: Target = { name, origin: socket ? "http://localhost" : server.origin, path, ...(socket ? { socket } : {}) };
  const body = fuzzyBatch(10);
  try {
    await served(target, body, 2_000);
    const pids = await processTree(server.pid);
    const before = await Promise.all(pids.map(cpuUs));
    const self = process.cpuUsage();
    const count = await served(target, body, seconds * 1000);
    const after = await Promise.all(pids.map(cpuUs));
    const own = process.cpuUsage(self);
    const perRequest = (us: number) => Math.round(us / count);
    const processes = pids.map((pid, i) => ({ pid, us_per_request: perRequest(after[i]! - before[i]!) })).filter((p) => p.us_per_request > 0);
    const client = perRequest(own.user + own.system);
    const total = processes.reduce((sum, p) => sum + p.us_per_request, client);
    return { name, req_per_s: Math.round(count / seconds), processes, client_us_per_request: client, total_us_per_request: total };
  } finally {
    await closeClients();
  }
}

/** Measures each contender a server answers as, then stops it. */
async function measureAll(server: ServerProcess, contenders: Array<{ name: string; path: Target["path"]; socket?: Target["socket"] }>) {
  try {
    const out = [];
    for (const c of contenders) out.push(await measure(c.name, server, c.path, c.socket));
    return out;
  } finally {
    await server.stop();
  }
}

const bench = await benchStore({ rebuild: false, progress: (msg) => console.error(msg) });
const store = bench.store.root;
const direct = await mkdtemp(join(tmpdir(), "vial-direct-"));
const results = [
  ...(await measureAll(await startServer("./floor.ts", { envs: [{ name: FUZZY.name, module: FUZZY.module }] }), [{ name: "floor", path: CONTENDER_CALL_PATH }])),
  // The same host's executors, through the host and on their own sockets.
  ...(await measureAll(await startServer("./vial.ts", { store, size: 2, deadlineMs: 60_000, defaultMaxQueue: 64, maxQueue: {}, directSockets: direct }), [
    { name: "vial", path: VIAL_INVOKE_PATH },
    { name: "vial_direct", path: VIAL_INVOKE_PATH, socket: (env) => join(direct, `${env}.sock`) },
  ])),
  ...(await measureAll(await startServer("./isolates.ts", { store, size: 2, memoryMiB: 256, envs: [{ name: FUZZY.name, from: FUZZY.name, maxQueue: 64 }] }), [{ name: "isolates", path: CONTENDER_CALL_PATH }])),
];
await rm(direct, { recursive: true, force: true });
console.log(`closed loop at concurrency ${concurrency}, ${seconds} s, 10-row fuzzy batches; CPU microseconds per request`);
for (const r of results) {
  const parts = r.processes.map((p, i) => `${i === 0 ? "server" : `child ${p.pid}`} ${p.us_per_request}`).join(", ");
  console.log(`${r.name.padEnd(11)} ${String(r.req_per_s).padStart(5)} req/s  total ${r.total_us_per_request} µs = ${parts}, load generator ${r.client_us_per_request}`);
}
