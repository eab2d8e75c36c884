/**
 * One measurement configuration in its own process: V8's WASM flags only take
 * effect before the first compile, so each flag set needs a fresh V8.
 *   node --import tsx [v8 flags] bench/engines/child.ts '<json config>'
 * Prints one JSON line with the figures.
 */
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { compileCore, instantiateComponent } from "../../runtime/component/instantiate.ts";
import type { ComponentGuest } from "../../runtime/component/instantiate.ts";
import { BINDINGS_NAME } from "../../builds/transpile.ts";
import { makeRows } from "../encoding/row.ts";
import { measure, round } from "../encoding/stats.ts";

export interface ChildConfig {
  /** Folders laid out like a published version: component.mjs + core/*.wasm. */
  fuzzyDir: string;
  lightDir: string;
  rows: number;
  instances: number;
  heavyMs: number;
  lightMs: number;
}

const config = JSON.parse(process.argv[2]) as ChildConfig;

async function load(dir: string) {
  const files = (await readdir(join(dir, "core"))).filter((f) => f.endsWith(".wasm"));
  const core = await Promise.all(files.map(async (file): Promise<[string, Uint8Array]> => [file, await readFile(join(dir, "core", file))]));
  const bindings = await readFile(join(dir, `${BINDINGS_NAME}.mjs`), "utf8");
  const t0 = performance.now();
  const modules = await compileCore(core);
  const compileMs = performance.now() - t0;
  const instantiate = async () => {
    const g = await instantiateComponent({ language: "js", bindings, modules });
    await g.reseed(new Uint8Array(16).map(() => (Math.random() * 256) | 0));
    return g;
  };
  return { compileMs, instantiate };
}

function batchRunner(guest: ComponentGuest, fn: string, batch: string) {
  return () => {
    const out = JSON.parse(guest.callSync(fn, batch)) as { errors: unknown[] };
    if (out.errors.length) throw new Error(`${fn}: ${JSON.stringify(out.errors[0])}`);
  };
}

const batch = JSON.stringify(makeRows(config.rows).map(({ text }) => ({ text })));

const fuzzy = await load(config.fuzzyDir);
const t0 = performance.now();
const guest = await fuzzy.instantiate();
const firstInstantiateMs = performance.now() - t0;
const heavy = batchRunner(guest, "fuzzy_similarity", batch);
const t1 = performance.now();
heavy();
const firstCallMs = performance.now() - t1;
// Instantiating again from the same compiled modules: what a pool pays per new instance.
const times: number[] = [];
for (let i = 0; i < config.instances; i++) {
  const s = performance.now();
  await fuzzy.instantiate();
  times.push(performance.now() - s);
}
times.sort((a, b) => a - b);
const heavyStats = measure(heavy, { ms: config.heavyMs, maxIterations: 10_000, minIterations: 10, warmup: 5 });

const light = await load(config.lightDir);
const lightGuest = await light.instantiate();
const lightStats = measure(batchRunner(lightGuest, "light", batch), { ms: config.lightMs, maxIterations: 20_000, minIterations: 20, warmup: 20 });
const compat = JSON.parse(JSON.parse(await lightGuest.call("compat", "[{}]")).rows[0].report);

console.log(
  JSON.stringify({
    compileMs: round(fuzzy.compileMs),
    firstInstantiateMs: round(firstInstantiateMs),
    instantiateMedianMs: round(times[times.length >> 1], 2),
    firstCallMs: round(firstCallMs),
    heavy: heavyStats,
    light: lightStats,
    heavyPerRowUs: round(heavyStats.medianUs / config.rows, 2),
    lightPerRowUs: round(lightStats.medianUs / config.rows, 2),
    compat,
  }),
);
