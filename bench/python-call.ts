/**
 * The fixed cost of a Python call through a real host, against a JS call in the same run, and the same
 * measured alternately against another checkout's code (`--root`, e.g. a worktree of an earlier commit with
 * its own `npm ci`), so a change to the Python path is judged on one noisy machine.
 *
 * For this checkout (and the other one): a Python store with the identity function and the fuzzy example,
 * built and deployed by that checkout's own code (the guest SDK is part of the component), served by a vial
 * host started from that checkout's bench/servers/vial.ts. One JS vial host serves the JS identity function.
 * Requests go one at a time (concurrency 1), every target once per round, the order rotating.
 *
 *   npx tsx bench/python-call.ts [--root <checkout>] [--rounds 8] [--ms 1500]
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { FUZZY_PY, IDENTITY, IDENTITY_PY, ROOT } from "./envs.ts";
import { fuzzyBatch, identityBatch } from "./rows.ts";
import { benchStore } from "./store.ts";
import { closeClients, Recorder, type Target } from "./load/target.ts";
import { closedLoop, interleave, warmUpUntil, WARM_UP_CALLS, type Call } from "./load/patterns.ts";
import { VIAL_INVOKE_PATH } from "./servers/paths.ts";
import type { ServerProcess } from "./servers/spawn.ts";

const { values } = parseArgs({ options: { root: { type: "string" }, rounds: { type: "string", default: "8" }, ms: { type: "string", default: "1500" } } });
const HOST_FLAGS = ["--no-wasm-lazy-compilation", "--single-threaded-gc"];
const rounds = Number(values.rounds);
const sliceMs = Number(values.ms) / rounds;
const progress = (m: string) => console.error(m);

type Spawn = typeof import("./servers/spawn.ts");

/** A Python store deployed by the checkout at `root`, served by a host started from its own code. */
async function pythonHost(root: string, work: string): Promise<ServerProcess> {
  const at = (path: string) => import(pathToFileURL(join(root, path)).href);
  const { Store } = (await at("builds/store.ts")) as typeof import("../builds/store.ts");
  const { createEnvironment } = (await at("builds/env-create.ts")) as typeof import("../builds/env-create.ts");
  const { deploy } = (await at("builds/deploy.ts")) as typeof import("../builds/deploy.ts");
  const { fuzzyRequirements } = (await at("testing/python.ts")) as typeof import("../testing/python.ts");
  const store = new Store(join(work, "store"));
  for (const env of [IDENTITY_PY, FUZZY_PY]) {
    progress(`${root}: deploying ${env.name}`);
    await createEnvironment({ name: env.name, requirements: env.requirements || (await fuzzyRequirements()), store });
    await deploy({ store, env: env.name, modulePath: env.module });
  }
  const { startServer } = (await at("bench/servers/spawn.ts")) as Spawn;
  return startServer("./vial.ts", { store: store.root, size: 2, deadlineMs: 60_000, defaultMaxQueue: 64, maxQueue: {} }, HOST_FLAGS);
}

const target = (name: string, server: ServerProcess): Target => ({ name, origin: server.origin, path: VIAL_INVOKE_PATH });

async function main() {
  const roots = [ROOT, ...(values.root ? [resolve(values.root) + "/"] : [])];
  const label = (root: string) => (root === ROOT ? "this" : "other");
  const work = await mkdtemp(join(tmpdir(), "vial-python-call-"));
  const servers: ServerProcess[] = [];
  try {
    const js = await benchStore({ rebuild: false, progress });
    const { startServer } = await import("./servers/spawn.ts");
    const jsHost = await startServer("./vial.ts", { store: js.store.root, size: 2, deadlineMs: 60_000, defaultMaxQueue: 64, maxQueue: {} }, HOST_FLAGS);
    servers.push(jsHost);
    const calls: Array<{ name: string; call: Call }> = [{ name: "js identity 1 row", call: { target: target("js", jsHost), env: IDENTITY.name, fn: IDENTITY.fn, body: identityBatch(1) } }];
    for (const [i, root] of roots.entries()) {
      const host = await pythonHost(root, join(work, String(i)));
      servers.push(host);
      const t = target(label(root), host);
      calls.push(
        { name: `${label(root)}: python identity 1 row`, call: { target: t, env: IDENTITY_PY.name, fn: IDENTITY_PY.fn, body: identityBatch(1) } },
        { name: `${label(root)}: python identity 100 rows`, call: { target: t, env: IDENTITY_PY.name, fn: IDENTITY_PY.fn, body: identityBatch(100) } },
        { name: `${label(root)}: python identity 1000 rows`, call: { target: t, env: IDENTITY_PY.name, fn: IDENTITY_PY.fn, body: identityBatch(1000) } },
        { name: `${label(root)}: python fuzzy 10 rows`, call: { target: t, env: FUZZY_PY.name, fn: FUZZY_PY.fn, body: fuzzyBatch(10) } },
      );
    }
    for (const { call } of calls) await warmUpUntil(call, WARM_UP_CALLS, 5_000);
    const recs = new Map(calls.map((c) => [c.name, new Recorder()]));
    await interleave(calls, rounds, async (c) => closedLoop(c.call, 1, sliceMs, recs.get(c.name)!));
    const jsP50 = recs.get(calls[0]!.name)!.report().p50_ms;
    console.log(`P50 ms, one request at a time, ${rounds} rounds (the JS call: ${jsP50.toFixed(3)} ms)`);
    for (const { name } of calls) {
      const r = recs.get(name)!.report();
      console.log(`${name.padEnd(36)} ${r.p50_ms.toFixed(3).padStart(7)}  P99 ${r.p99_ms.toFixed(2).padStart(6)}  n ${r.count}${name.includes("1 row") && name !== calls[0]!.name ? `  over JS ${(r.p50_ms - jsP50).toFixed(3)}` : ""}`);
    }
  } finally {
    await closeClients();
    for (const s of servers) await s.stop();
    await rm(work, { recursive: true, force: true });
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
