// Measures the Python guest path: interpreter build (or cache hit), deploy
// (requirements + componentize), component size, instantiate, first call and
// per-call latency for 1/100/1000 rows against native CPython on the same
// function. Run: npx tsx bench/python-guest.ts
import { execFileSync } from "node:child_process";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { componentizePython } from "../builds/python/componentize.js";
import { ensureInterpreter } from "../builds/python/interpreter.js";
import { installPythonRequirements } from "../builds/python/requirements.js";
import { CACHE_DIR, NATIVE_PRELUDE, NATIVE_PYTHON, ROOT, fuzzyRequirements, loadComponent } from "../testing/python.ts";

const MODULE = join(ROOT, "examples", "python", "fuzzy_similarity.py");
const FN = "fuzzy_similarity";
const ms = (t0: number) => performance.now() - t0;
const fmt = (x: number) => `${x.toFixed(x < 10 ? 2 : 0)} ms`;
const rowsOf = (n: number) => Array.from({ length: n }, (_, i) => ({ text: `Mocha brownie bar number ${i}` }));

async function main() {
  let t = performance.now();
  await ensureInterpreter({ cacheDir: CACHE_DIR, onProgress: (m) => console.error(`  ${m}`) });
  console.log(`interpreter (build or cache hit): ${fmt(ms(t))}`);

  const site = await mkdtemp(join(tmpdir(), "vial-bench-site-"));
  t = performance.now();
  await installPythonRequirements(await fuzzyRequirements(), site);
  console.log(`requirements install:             ${fmt(ms(t))}`);
  t = performance.now();
  const bytes = await componentizePython({ modulePath: MODULE, sitePackages: site, cacheDir: CACHE_DIR });
  console.log(`componentize (deploy):            ${fmt(ms(t))}`);
  console.log(`component size:                   ${(bytes.length / 1024 / 1024).toFixed(1)} MiB`);

  t = performance.now();
  const loaded = await loadComponent(bytes);
  console.log(`transpile + load bindings:        ${fmt(ms(t))}`);
  const inst: number[] = [];
  let guest;
  for (let i = 0; i < 5; i++) {
    t = performance.now();
    guest = await loaded.instantiate();
    inst.push(ms(t));
  }
  console.log(`instantiate per instance:         ${inst.map(fmt).join(", ")} (first includes compile)`);
  guest!.reseed(new Uint8Array(32));
  t = performance.now();
  guest!.call(FN, JSON.stringify(rowsOf(1)));
  console.log(`first call (1 row):               ${fmt(ms(t))}`);

  // Warm up: V8 tiers the interpreter's hot functions up after some calls.
  for (let i = 0; i < 50; i++) guest!.call(FN, JSON.stringify(rowsOf(1)));
  guest!.call(FN, JSON.stringify(rowsOf(100)));

  console.log("rows   wasm p50     wasm p90     native p50   (wasm after warm-up; native in a warm CPython)");
  for (const n of [1, 100, 1000]) {
    const batch = JSON.stringify(rowsOf(n));
    const runs = RUNS[n];
    const times: number[] = [];
    for (let i = 0; i < runs; i++) {
      t = performance.now();
      guest!.call(FN, batch);
      times.push(ms(t));
    }
    const row = [fmt(pct(times, 0.5)), fmt(pct(times, 0.9)), fmt(native(n, runs))];
    console.log(`${String(n).padEnd(6)} ${row.map((x) => x.padEnd(12)).join(" ")}`);
  }
}

const RUNS: Record<number, number> = { 1: 200, 100: 30, 1000: 7 };

/** Same dispatcher and function under Debian's CPython, timed inside Python. */
function native(n: number, runs: number): number {
  const script = `${NATIVE_PRELUDE}
import sys, json, time, statistics
sys.path[:0] = [${JSON.stringify(join(ROOT, "guest-sdk", "python"))}, ${JSON.stringify(join(ROOT, "examples", "python"))}]
import fuzzy_similarity, vial._runtime as rt
batch = json.dumps([{"text": f"Mocha brownie bar number {i}"} for i in range(${n})])
rt.call("${FN}", batch)
ts = []
for _ in range(${runs}):
    t = time.perf_counter(); rt.call("${FN}", batch); ts.append((time.perf_counter() - t) * 1000)
print(statistics.median(ts))`;
  return Number(execFileSync(NATIVE_PYTHON, ["-B", "-W", "ignore", "-c", script], { encoding: "utf8" }).trim());
}

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(s.length * p))];
}

await main();
