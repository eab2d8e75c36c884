/**
 * D. Footprint: resident memory per warm instance (two hosts differing only
 * in pool size, memory difference per added instance), host start-to-ready
 * with the bench's three environments, and the environment build times.
 */
import { BENCH_ENVS } from "../envs.ts";
import type { BenchStore } from "../store.ts";
import { startServer, type ServerProcess } from "../servers/spawn.ts";
import type { VialServerConfig } from "../servers/vial.ts";

const settle = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function rssWithPool(store: string, size: number, nodeFlags: string[]): Promise<number> {
  const cfg: VialServerConfig = { store, size, deadlineMs: 60_000, maxQueue: {}, defaultMaxQueue: 64, cold: [] };
  const server = await startServer("./vial.ts", cfg, nodeFlags);
  try {
    await settle(1_000);
    return server.rss();
  } finally {
    await server.stop();
  }
}

export async function footprint(bench: BenchStore, vial: ServerProcess, rssInstances: number, nodeFlags: string[], progress: (msg: string) => void) {
  progress(`D footprint: RSS with pools of 1 and ${rssInstances}`);
  const one = await rssWithPool(bench.store.root, 1, nodeFlags);
  const many = await rssWithPool(bench.store.root, rssInstances, nodeFlags);
  const added = BENCH_ENVS.length * (rssInstances - 1);
  const mib = (b: number) => Math.round((b / 2 ** 20) * 10) / 10;
  return {
    rss: { environments: BENCH_ENVS.length, pool_1_mib: mib(one), [`pool_${rssInstances}_mib`]: mib(many), per_warm_instance_mib: mib((many - one) / added) },
    host_start: {
      environments: BENCH_ENVS.length,
      create_to_ready_ms: Math.round(vial.info.readyMs as number),
      process_start_to_ready_ms: Math.round(vial.info.processReadyMs as number),
      spawn_to_listening_ms: Math.round(vial.startMs),
    },
    build: { cached: bench.cached, built_at: bench.built_at, environments: bench.builds },
  };
}
