/**
 * Which V8 flags the vial host process should run with: one host per flag set,
 * all serving the bench store, interleaved under the spiky pattern (10-row
 * fuzzy and 100-row identity, bursts of the pool's capacity).
 *
 *   npx tsx bench/flags.ts [--seconds 8]   -> bench/results/flags.json
 */
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { benchStore } from "./store.ts";
import { FUZZY, IDENTITY, ROOT } from "./envs.ts";
import { fuzzyBatch, identityBatch } from "./rows.ts";
import { startServer, type ServerProcess } from "./servers/spawn.ts";
import type { VialServerConfig } from "./servers/vial.ts";
import { VIAL_INVOKE_PATH } from "./servers/paths.ts";
import { Recorder, closeClients } from "./load/target.ts";
import { bursts, interleave, seededRandom, warmUp } from "./load/patterns.ts";
import { machineInfo } from "./machine.ts";

const FLAG_SETS: Record<string, string[]> = {
  default: [],
  eager: ["--no-wasm-lazy-compilation"],
  "eager+single-gc": ["--no-wasm-lazy-compilation", "--single-threaded-gc"],
  "turbofan-eager+single-gc": ["--no-liftoff", "--no-wasm-lazy-compilation", "--single-threaded-gc"],
};

const { values } = parseArgs({ options: { seconds: { type: "string", default: "8" }, rounds: { type: "string", default: "4" } } });
const seconds = Number(values.seconds);
const rounds = Number(values.rounds);
const CAPACITY = 2;

async function main() {
  const machine = machineInfo();
  const bench = await benchStore({ rebuild: false, progress: console.error });
  const hosts = new Map<string, ServerProcess>();
  try {
    for (const [name, flags] of Object.entries(FLAG_SETS)) {
      const cfg: VialServerConfig = { store: bench.store.root, size: CAPACITY, deadlineMs: 60_000, maxQueue: {}, defaultMaxQueue: 64 };
      hosts.set(name, await startServer("./vial.ts", cfg, flags));
      console.error(`${name}: ready in ${Math.round(hosts.get(name)!.info.readyMs as number)} ms`);
    }
    const results: Record<string, unknown> = {};
    for (const [env, body] of [
      [FUZZY, fuzzyBatch(10)],
      [IDENTITY, identityBatch(100)],
    ] as const) {
      const recs = new Map([...hosts.keys()].map((n) => [n, new Recorder()]));
      const call = (name: string) => ({ target: { name, origin: hosts.get(name)!.origin, path: VIAL_INVOKE_PATH }, env: env.name, fn: env.fn, body });
      for (const name of hosts.keys()) await warmUp(call(name), 20);
      await interleave([...hosts.keys()], rounds, (name, round) =>
        bursts(call(name), CAPACITY, Infinity, [5, 25], recs.get(name)!, seededRandom(round + 1), performance.now() + (seconds * 1000) / rounds),
      );
      results[env.name] = Object.fromEntries([...recs].map(([n, r]) => [n, r.report()]));
      console.error(env.name, JSON.stringify(Object.fromEntries([...recs].map(([n, r]) => [n, [r.report().p50_ms, r.report().p99_ms, r.report().p999_ms, r.report().max_ms]]))));
    }
    const startup = Object.fromEntries([...hosts].map(([n, h]) => [n, { create_to_ready_ms: Math.round(h.info.readyMs as number) }]));
    await writeFile(
      join(ROOT, "bench", "results", "flags.json"),
      JSON.stringify({ at: new Date().toISOString(), machine, flag_sets: FLAG_SETS, seconds_per_host: seconds, startup, spiky: results }, null, 2) + "\n",
    );
  } finally {
    await closeClients();
    for (const h of hosts.values()) await h.stop();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
