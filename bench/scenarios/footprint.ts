/**
 * D. Footprint: resident memory of a host serving the bench's three
 * environments with two instances each, executors included (the process
 * tree, RSS and PSS), and per added warm instance (pools of 1 and N); host
 * start-to-ready; the environment build times.
 */
import { BENCH_ENVS } from "../envs.ts";
import type { BenchStore } from "../store.ts";
import { startServer, type ServerProcess } from "../servers/spawn.ts";
import type { VialServerConfig } from "../servers/vial.ts";
import { treeMemory } from "../../testing/process-tree.ts";

const settle = (ms: number) => new Promise((r) => setTimeout(r, ms));
const mib = (b: number) => Math.round((b / 2 ** 20) * 10) / 10;

async function memoryWithPool(store: string, size: number, nodeFlags: string[]) {
  const cfg: VialServerConfig = { store, size, deadlineMs: 60_000, maxQueue: {}, defaultMaxQueue: 64 };
  const server = await startServer("./vial.ts", cfg, nodeFlags);
  try {
    await settle(1_000);
    return await treeMemory(server.pid);
  } finally {
    await server.stop();
  }
}

export async function footprint(bench: BenchStore, vial: ServerProcess, rssInstances: number, nodeFlags: string[], progress: (msg: string) => void) {
  progress(`D footprint: memory with pools of 1, 2 and ${rssInstances}`);
  const one = await memoryWithPool(bench.store.root, 1, nodeFlags);
  const two = await memoryWithPool(bench.store.root, 2, nodeFlags);
  const many = await memoryWithPool(bench.store.root, rssInstances, nodeFlags);
  const added = BENCH_ENVS.length * (rssInstances - 1);
  return {
    rss: {
      environments: BENCH_ENVS.length,
      pool_1_mib: mib(one.rssBytes),
      [`pool_${rssInstances}_mib`]: mib(many.rssBytes),
      per_warm_instance_mib: mib((many.rssBytes - one.rssBytes) / added),
    },
    // The host with 3 environments of 2 instances each, executors included.
    host_and_executors: { environments: BENCH_ENVS.length, instances_each: 2, processes: two.processes, rss_mib: mib(two.rssBytes), pss_mib: mib(two.pssBytes) },
    host_start: {
      environments: BENCH_ENVS.length,
      create_to_ready_ms: Math.round(vial.info.readyMs as number),
      process_start_to_ready_ms: Math.round(vial.info.processReadyMs as number),
      spawn_to_listening_ms: Math.round(vial.startMs),
    },
    build: { cached: bench.cached, built_at: bench.built_at, environments: bench.builds },
  };
}
