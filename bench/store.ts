/**
 * The bench store: every bench environment created and deployed with the real
 * build path. Building takes tens of seconds, so a store is kept under
 * bench/.cache keyed by a digest of everything that goes into it, with the
 * build times measured when it was built.
 */
import { createHash } from "node:crypto";
import { existsSync, statSync } from "node:fs";
import { mkdir, readFile, readdir, rename, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { Store } from "../builds/store.ts";
import { createEnvironment } from "../builds/env-create.ts";
import { deploy } from "../builds/deploy.ts";
import { BENCH_ENVS, COSINE_PY, PYTHON_ENVS, ROOT, type BenchEnv } from "./envs.ts";
import { fuzzyRequirements } from "../testing/python.ts";

export interface BuildTimes {
  env: string;
  create_ms: number;
  deploy_ms: number;
  component_bytes: number;
}

export interface BenchStore {
  store: Store;
  builds: BuildTimes[];
  cached: boolean;
  built_at: string;
}

/** Guests bundle the schema checks and timestamps from runtime/ too. */
const INPUTS = ["examples/fuzzy-similarity", "bench/fixtures", "guest-sdk/js", "runtime/schema.ts", "runtime/timestamp.ts", "builds", "wit", "package-lock.json"];
/** The Python store: its own digest, so a change on one side does not rebuild the other. */
const PY_INPUTS = ["examples/python", "bench/fixtures/python", "guest-sdk/python", "builds", "wit", "testing/python.ts", "test/python/fixtures", "package-lock.json"];

async function filesUnder(path: string): Promise<string[]> {
  const full = join(ROOT, path);
  if (!statSync(full).isDirectory()) return [path];
  const entries = await readdir(full, { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name).slice(ROOT.length)).sort();
}

async function inputDigest(inputs: string[]): Promise<string> {
  const hash = createHash("sha256");
  for (const root of inputs) {
    for (const file of await filesUnder(root)) {
      hash.update(file).update("\0").update(await readFile(join(ROOT, file))).update("\0");
    }
  }
  return hash.digest("hex").slice(0, 16);
}

export async function benchStore(opts: { rebuild: boolean; progress: (msg: string) => void }): Promise<BenchStore> {
  return cachedStore("store", INPUTS, BENCH_ENVS, opts);
}

/**
 * The Python environments (the fuzzy example in Python with fuzzywuzzy from a
 * local wheel, an identity and a haversine function) in a store of its own,
 * served by a host of its own: the JS figures (host start, RSS per instance)
 * stay those of the JS environments.
 */
export async function benchPythonStore(opts: { rebuild: boolean; progress: (msg: string) => void }): Promise<BenchStore> {
  return cachedStore(pythonPrefix("py-store"), PY_INPUTS, PYTHON_ENVS, opts);
}

/**
 * The numpy environment, apart: it needs numpy built for the interpreter
 * (minutes on a cold cache), and only F measures it, in-process.
 */
export async function benchNumpyStore(opts: { rebuild: boolean; progress: (msg: string) => void }): Promise<BenchStore> {
  return cachedStore(pythonPrefix("py-numpy-store"), PY_INPUTS, [COSINE_PY], opts);
}

/** An interpreter built with other options (VIAL_PYTHON_BUILD, builds/python/interpreter.ts) gets stores of its own. */
function pythonPrefix(prefix: string): string {
  const options = process.env.VIAL_PYTHON_BUILD;
  return options ? `${prefix}-${createHash("sha256").update(options).digest("hex").slice(0, 8)}` : prefix;
}

async function cachedStore(prefix: string, inputs: string[], envs: BenchEnv[], opts: { rebuild: boolean; progress: (msg: string) => void }): Promise<BenchStore> {
  const cacheDir = join(ROOT, "bench", ".cache");
  const dir = join(cacheDir, `${prefix}-${await inputDigest(inputs)}`);
  const record = join(dir, "bench-build.json");
  if (!opts.rebuild && existsSync(record)) {
    const saved = JSON.parse(await readFile(record, "utf8")) as Omit<BenchStore, "store" | "cached">;
    return { ...saved, store: new Store(join(dir, "store")), cached: true };
  }
  await mkdir(cacheDir, { recursive: true });
  const staging = `${dir}.${process.pid}.tmp`;
  await rm(staging, { recursive: true, force: true });
  const store = new Store(join(staging, "store"));
  const builds: BuildTimes[] = [];
  for (const env of envs) {
    opts.progress(`building environment ${env.name}`);
    const requirements = env.requirements || (await fuzzyRequirements());
    let t = performance.now();
    await createEnvironment({ name: env.name, requirements, store });
    const create_ms = performance.now() - t;
    t = performance.now();
    const { manifest } = await deploy({ store, env: env.name, modulePath: env.module });
    builds.push({ env: env.name, create_ms: Math.round(create_ms), deploy_ms: Math.round(performance.now() - t), component_bytes: manifest.component.bytes });
  }
  const saved = { builds, built_at: new Date().toISOString() };
  await writeFile(join(staging, "bench-build.json"), JSON.stringify(saved, null, 2));
  await rm(dir, { recursive: true, force: true });
  await rename(staging, dir);
  return { ...saved, store: new Store(join(dir, "store")), cached: false };
}
