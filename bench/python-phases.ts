/**
 * Where a Python row's time goes, in the component and in native CPython: the
 * fuzzy example's batch taken apart (bench/python/phases.py: JSON in, decoding
 * rows, the handler, encoding rows, JSON out), each phase timed from outside
 * the guest (its clocks are fixed), and the whole call as the host makes it,
 * whose remainder is the glue (strings across the component boundary, the C
 * glue, the dispatcher's log capture).
 *
 *   npx tsx bench/python-phases.ts [--rows 50] [--repeat 40]
 */
import { execFileSync } from "node:child_process";
import { copyFile, mkdtemp, readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { Store } from "../builds/store.ts";
import { createEnvironment } from "../builds/env-create.ts";
import { deploy } from "../builds/deploy.ts";
import { fuzzyRows } from "./rows.ts";
import { FUZZY_PY, ROOT } from "./envs.ts";
import { NATIVE_PYTHON, NATIVE_PRELUDE, fuzzyRequirements, loadComponent } from "../testing/python.ts";

const { values } = parseArgs({ options: { rows: { type: "string", default: "50" }, repeat: { type: "string", default: "40" } } });
const rows = Number(values.rows);
const repeat = Number(values.repeat);
const PHASES = ["json_in", "decode", "handler", "encode", "json_out"];

const app = await mkdtemp(join(tmpdir(), "vial-phases-"));
await copyFile(FUZZY_PY.module, join(app, "fuzzy_similarity.py"));
await copyFile(join(ROOT, "bench", "python", "phases.py"), join(app, "phases.py"));
const store = new Store(join(app, "store"));
await createEnvironment({ name: "phases", requirements: await fuzzyRequirements(), store });
const { manifest, versionDir } = await deploy({ store, env: "phases", modulePath: join(app, "phases.py") });
const guest = await (await loadComponent(await readFile(join(versionDir, manifest.component.file)))).instantiate();
guest.reseed(new Uint8Array(32));

const batch = JSON.stringify(fuzzyRows(rows));
const request = (phase: string, n: number) => JSON.stringify([{ fn: FUZZY_PY.fn, batch, phase, repeat: n }]);
/** Milliseconds per call, the fastest of `tries` (the least disturbed by other work). */
function fastest(call: () => void, tries: number): number {
  let best = Infinity;
  for (let i = 0; i < tries; i++) {
    const start = performance.now();
    call();
    best = Math.min(best, performance.now() - start);
  }
  return best;
}
for (let i = 0; i < 5; i++) for (const p of PHASES) guest.call("phases", request(p, 1)); // V8 tiers the interpreter up
const inGuest: Record<string, number> = {};
for (const p of PHASES) {
  const [full, empty] = [request(p, repeat), request(p, 0)];
  inGuest[`${p}_us`] = ((fastest(() => guest.call("phases", full), 5) - fastest(() => guest.call("phases", empty), 5)) / repeat / rows) * 1000;
}
const guestCall = (fastest(() => guest.call(FUZZY_PY.fn, batch), repeat) / rows) * 1000;

const native = JSON.parse(
  execFileSync(NATIVE_PYTHON, ["-B", "-W", "ignore", "-c", `${NATIVE_PRELUDE}
import json, sys, time
sys.path[:0] = [${JSON.stringify(join(ROOT, "guest-sdk", "python"))}, ${JSON.stringify(app)}]
import phases, vial._runtime as rt
fn, batch, repeat, rows = json.loads(sys.stdin.read())
def fastest(call, tries):
    best = float("inf")
    for _ in range(tries):
        start = time.perf_counter(); call(); best = min(best, time.perf_counter() - start)
    return best
out = {}
for p in phases.PHASES:
    phases.run_phase(fn, batch, p, 1)
    full = fastest(lambda: phases.run_phase(fn, batch, p, repeat), 5)
    empty = fastest(lambda: phases.run_phase(fn, batch, p, 0), 5)
    out[p + "_us"] = (full - empty) / repeat / rows * 1e6
out["call_us"] = fastest(lambda: rt.call(fn, batch), repeat) / rows * 1e6
print(json.dumps(out))`], { input: JSON.stringify([FUZZY_PY.fn, batch, repeat, rows]), encoding: "utf8" }),
) as Record<string, number>;

const fmt = (x: number) => x.toFixed(1).padStart(8);
console.log(`µs per row, ${rows} rows of ${FUZZY_PY.fn}    component   CPython   ratio`);
let guestSum = 0;
let nativeSum = 0;
for (const p of PHASES) {
  const [g, n] = [inGuest[`${p}_us`]!, native[`${p}_us`]!];
  guestSum += g;
  nativeSum += n;
  console.log(`${p.padEnd(36)}${fmt(g)}  ${fmt(n)}  ${(g / n).toFixed(2).padStart(6)}`);
}
const [glueGuest, glueNative] = [guestCall - guestSum, native.call_us! - nativeSum];
console.log(`${"glue and the rest of call()".padEnd(36)}${fmt(glueGuest)}  ${fmt(glueNative)}`);
console.log(`${"whole call".padEnd(36)}${fmt(guestCall)}  ${fmt(native.call_us!)}  ${(guestCall / native.call_us!).toFixed(2).padStart(6)}`);
