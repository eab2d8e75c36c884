/**
 * H. Where the CPU of a request goes, by process: floor, vial (through its
 * host, and on its executors' own sockets) and the isolate pool each serve
 * 10-row fuzzy batches in a closed loop (after a warm-up), one contender at a
 * time, and the CPU time every process of its tree used (from /proc) is
 * divided by the requests served. The load generator's own CPU is counted
 * too: on a two-core machine it competes for the same cores.
 */
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { closedLoop } from "../load/patterns.ts";
import { closeClients, Recorder, type Target } from "../load/target.ts";
import { startServer, type ServerProcess } from "../servers/spawn.ts";
import { processTree } from "../../testing/process-tree.ts";
import { fuzzyBatch } from "../rows.ts";
import { FUZZY } from "../envs.ts";
import { CONTENDER_CALL_PATH, VIAL_INVOKE_PATH } from "../servers/paths.ts";

export interface CpuOptions {
  store: string;
  concurrency: number;
  seconds: number;
  hostFlags?: string[];
  progress?(msg: string): void;
}

export interface CpuMeasure {
  name: string;
  req_per_s: number;
  /** The server's process first, then its children (vial's executors). */
  processes: Array<{ pid: number; us_per_request: number }>;
  client_us_per_request: number;
  /** The contender's processes together, without the load generator. */
  server_us_per_request: number;
  total_us_per_request: number;
}

const TICK_US = 10_000; // /proc/<pid>/stat counts CPU in clock ticks of 10 ms

/** CPU time of one process so far, microseconds (user + system). */
async function cpuUs(pid: number): Promise<number> {
  const fields = (await readFile(`/proc/${pid}/stat`, "utf8")).split(") ")[1]!.split(" ");
  return (Number(fields[11]) + Number(fields[12])) * TICK_US;
}

export async function cpuPerRequest(opts: CpuOptions): Promise<CpuMeasure[]> {
  const { store, concurrency, seconds } = opts;
  const body = fuzzyBatch(10);

  /** Serves a closed loop for `ms`; throws unless every answer was 200. Returns how many were served. */
  const served = async (target: Target, ms: number): Promise<number> => {
    const rec = new Recorder();
    await closedLoop({ target, env: FUZZY.name, fn: FUZZY.fn, body }, concurrency, ms, rec);
    const other = Object.keys(rec.statuses).filter((status) => status !== "200");
    if (other.length) throw new Error(`${target.name} answered ${other.join(", ")}`);
    return rec.requests;
  };

  const measure = async (server: ServerProcess, name: string, path: Target["path"], socket?: Target["socket"]): Promise<CpuMeasure> => {
    opts.progress?.(`H cpu per request: ${name}`);
    const target: Target = { name, origin: socket ? "http://localhost" : server.origin, path, ...(socket ? { socket } : {}) };
    try {
      await served(target, Math.min(2_000, seconds * 1000));
      const pids = await processTree(server.pid);
      const before = await Promise.all(pids.map(cpuUs));
      const self = process.cpuUsage();
      const count = await served(target, seconds * 1000);
      const after = await Promise.all(pids.map(cpuUs));
      const own = process.cpuUsage(self);
      const perRequest = (us: number) => Math.round(us / count);
      const processes = pids.map((pid, i) => ({ pid, us_per_request: perRequest(after[i]! - before[i]!) })).filter((p) => p.us_per_request > 0);
      const client = perRequest(own.user + own.system);
      const server_us = processes.reduce((sum, p) => sum + p.us_per_request, 0);
      return { name, req_per_s: Math.round(count / seconds), processes, client_us_per_request: client, server_us_per_request: server_us, total_us_per_request: server_us + client };
    } finally {
      await closeClients();
    }
  };

  /** Measures each contender a server answers as, then stops it. */
  const measureAll = async (server: ServerProcess, contenders: Array<{ name: string; path: Target["path"]; socket?: Target["socket"] }>) => {
    try {
      const out: CpuMeasure[] = [];
      for (const c of contenders) out.push(await measure(server, c.name, c.path, c.socket));
      return out;
    } finally {
      await server.stop();
    }
  };

  const flags = opts.hostFlags ?? [];
  const direct = await mkdtemp(join(tmpdir(), "vial-direct-"));
  try {
    return [
      ...(await measureAll(await startServer("./floor.ts", { envs: [{ name: FUZZY.name, module: FUZZY.module }] }, flags), [{ name: "floor", path: CONTENDER_CALL_PATH }])),
      // The same host's executors, through the host and on their own sockets.
      ...(await measureAll(await startServer("./vial.ts", { store, size: 2, deadlineMs: 60_000, defaultMaxQueue: 64, maxQueue: {}, directSockets: direct }, flags), [
        { name: "vial", path: VIAL_INVOKE_PATH },
        { name: "vial_direct", path: VIAL_INVOKE_PATH, socket: (env) => join(direct, `${env}.sock`) },
      ])),
      ...(await measureAll(await startServer("./isolates.ts", { store, size: 2, memoryMiB: 256, envs: [{ name: FUZZY.name, from: FUZZY.name, maxQueue: 64 }] }, flags), [
        { name: "isolates", path: CONTENDER_CALL_PATH },
      ])),
    ];
  } finally {
    await rm(direct, { recursive: true, force: true });
  }
}
