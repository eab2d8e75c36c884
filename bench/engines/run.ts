/**
 * Engine benchmark: the fuzzy-similarity example and a light transform
 * deployed with each JS engine into a temporary store, measured as the host
 * runs them, against the same JS in V8; then guest-speed experiments (V8 WASM
 * flags, componentize-qjs options), each configuration
 * in its own process. Writes bench/results/engines.json.
 *
 *   npx tsx bench/engines/run.ts [--quick]
 */
import { execFile } from "node:child_process";
import { mkdtemp, mkdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { build } from "esbuild";
import { Store } from "../../builds/store.ts";
import { createEnvironment } from "../../builds/env-create.ts";
import { deploy } from "../../builds/deploy.ts";
import { bundleModule } from "../../builds/js/bundle.ts";
import { WIT_DIR, WORLD } from "../../builds/js/engines.ts";
import { componentizeQjs, type QjsOptions } from "../encoding/build.ts";
import { transpileTo } from "../encoding/loader.ts";
import { machine, round, table } from "../encoding/stats.ts";
import type { ChildConfig } from "./child.ts";

const HERE = fileURLToPath(new URL(".", import.meta.url));
const ROOT = join(HERE, "../..");
const FUZZY = join(ROOT, "examples/fuzzy-similarity/features.ts");
const LIGHT = join(HERE, "light.ts");
const REQUIREMENTS = join(ROOT, "examples/fuzzy-similarity/package.json");
const QUICK = process.argv.includes("--quick");
const ROWS = 100;
const CHILD: Omit<ChildConfig, "fuzzyDir" | "lightDir"> = QUICK
  ? { rows: ROWS, instances: 3, heavyMs: 500, lightMs: 300 }
  : { rows: ROWS, instances: 10, heavyMs: 3000, lightMs: 1500 };

interface Pair {
  fuzzyDir: string;
  lightDir: string;
}

/** Deploys through the real pipeline, timing each stage from deploy's progress messages. */
async function timedDeploy(store: Store, env: string, modulePath: string) {
  const marks: Array<[string, number]> = [];
  const t0 = performance.now();
  const { manifest, versionDir } = await deploy({ store, env, modulePath, progress: (m) => marks.push([m, performance.now()]) });
  const end = performance.now();
  const stages: Record<string, number> = {};
  marks.forEach(([m, t], i) => (stages[m.replace(/ with \w+$/, "")] = Math.round((marks[i + 1]?.[1] ?? end) - t)));
  return { versionDir, manifest, buildMs: Math.round(end - t0), stages };
}

/** A QuickJS build of `modulePath` with non-default options or runtime, laid out like a version. */
async function variantBuild(root: string, label: string, modulePath: string, nodeModules: string, opts: QjsOptions) {
  const bundle = await bundleModule({ modulePath, nodeModules, expandRegexes: false });
  const component = await componentizeQjs(WIT_DIR, bundle, opts, WORLD);
  const dir = join(root, label);
  await transpileTo(component, dir, join(dir, "core"));
  return { dir, bytes: component.length };
}

const SDK = join(ROOT, "guest-sdk/js");

/**
 * The entry and esbuild options of builds/js/bundle.ts with a chosen runtime;
 * `native` also exports the env and user module, for running the bundle in V8.
 */
async function entryBundle(modulePath: string, nodeModules: string, runtime = join(SDK, "runtime.ts"), native = false): Promise<string> {
  const entry = [
    `import ${JSON.stringify(join(SDK, "globals.ts"))};`,
    `import * as user from ${JSON.stringify(modulePath)};`,
    `import { createEnvironment } from ${JSON.stringify(runtime)};`,
    `export const env = createEnvironment(user);`,
    native ? `export { user };` : `export const describe = env.describe, reseed = env.reseed, call = env.call;`,
  ].join("\n");
  const result = await build({
    stdin: { contents: entry, resolveDir: HERE, sourcefile: "vial-entry.js", loader: "js" },
    bundle: true, write: false, format: "esm", platform: "neutral", target: "es2022",
    mainFields: ["module", "main"], conditions: ["import", "require", "default"],
    nodePaths: [nodeModules], alias: { "@vial/guest": join(SDK, "index.ts") },
    define: { "process.env.NODE_ENV": '"production"' }, logLevel: "silent", legalComments: "none",
  });
  return result.outputFiles[0].text;
}

async function runChild(flags: string[], pair: Pair): Promise<Record<string, any>> {
  const config: ChildConfig = { ...CHILD, ...pair };
  const { stdout } = await promisify(execFile)(process.execPath, ["--import", "tsx", ...flags, join(HERE, "child.ts"), JSON.stringify(config)], {
    cwd: ROOT,
    maxBuffer: 1 << 24,
  });
  return JSON.parse(stdout.trim().split("\n").at(-1)!);
}

/** The guest bundles run natively in V8, in their own process (see native.ts). */
async function nativeV8(root: string, nodeModules: string) {
  const bundles: Record<string, string> = {};
  for (const [fn, modulePath] of [["fuzzy_similarity", FUZZY], ["light", LIGHT]]) {
    bundles[fn] = join(root, `native-${fn}.mjs`);
    await writeFile(bundles[fn], await entryBundle(modulePath, nodeModules, undefined, true));
  }
  const { stdout } = await promisify(execFile)(process.execPath, ["--import", "tsx", join(HERE, "native.ts"), JSON.stringify({ bundles, rows: ROWS, ms: QUICK ? 300 : 1500 })], {
    cwd: ROOT,
    // fuzzball's bundle installs a browser setImmediate polyfill that tsx's disk cache trips on.
    env: { ...process.env, TSX_DISABLE_CACHE: "1" },
  });
  const r = JSON.parse(stdout.trim().split("\n").at(-1)!);
  return {
    heavy: r.fuzzy_similarity,
    light: r.light,
    heavyPerRowUs: r.fuzzy_similarity.perRowUs as number,
    heavyRuntimePerRowUs: r.fuzzy_similarity.runtimePerRowUs as number,
    lightPerRowUs: r.light.perRowUs as number,
    lightRuntimePerRowUs: r.light.runtimePerRowUs as number,
  };
}

async function main() {
  const root = await mkdtemp(join(tmpdir(), "vial-bench-engines-"));
  const store = new Store(join(root, "store"));
  try {
    const engines: Record<string, any> = {};
    for (const engine of ["quickjs", "starlingmonkey"]) {
      console.log(`deploying with ${engine}...`);
      const env = await createEnvironment({ name: `fuzzy-${engine}`, requirements: REQUIREMENTS, engine, store });
      await createEnvironment({ name: `light-${engine}`, requirements: REQUIREMENTS, engine, store });
      const fuzzy = await timedDeploy(store, `fuzzy-${engine}`, FUZZY);
      const lightDeploy = await timedDeploy(store, `light-${engine}`, LIGHT);
      engines[engine] = {
        version: fuzzy.manifest.toolchain[engine],
        nodeModules: join(store.layerDir("js", env.layer), "node_modules"),
        buildMs: fuzzy.buildMs,
        stages: fuzzy.stages,
        componentBytes: fuzzy.manifest.component.bytes,
        lightBuildMs: lightDeploy.buildMs,
        pair: { fuzzyDir: fuzzy.versionDir, lightDir: lightDeploy.versionDir },
      };
    }

    console.log("building QuickJS variants...");
    const nm = engines.quickjs.nodeModules;
    const variants: Record<string, Pair & { bytes: number }> = {};
    for (const [label, opts] of [
      ["disableGc", { disableGc: true }],
      ["optSize", { optSize: true }],
    ] as Array<[string, QjsOptions]>) {
      const f = await variantBuild(root, `${label}-fuzzy`, FUZZY, nm, opts);
      const l = await variantBuild(root, `${label}-light`, LIGHT, nm, opts);
      variants[label] = { fuzzyDir: f.dir, lightDir: l.dir, bytes: f.bytes };
    }

    console.log("native V8...");
    const v8 = await nativeV8(root, nm);

    const qjs: Pair = engines.quickjs.pair;
    const sm: Pair = engines.starlingmonkey.pair;
    const configs: Array<{ label: string; engine: string; flags: string[]; pair: Pair }> = [
      { label: "baseline", engine: "quickjs", flags: [], pair: qjs },
      { label: "--wasm-inlining", engine: "quickjs", flags: ["--wasm-inlining"], pair: qjs },
      { label: "--no-liftoff", engine: "quickjs", flags: ["--no-liftoff"], pair: qjs },
      { label: "--no-wasm-lazy-compilation", engine: "quickjs", flags: ["--no-wasm-lazy-compilation"], pair: qjs },
      { label: "--no-liftoff --no-wasm-lazy-compilation", engine: "quickjs", flags: ["--no-liftoff", "--no-wasm-lazy-compilation"], pair: qjs },
      { label: "--no-wasm-dynamic-tiering", engine: "quickjs", flags: ["--no-wasm-dynamic-tiering"], pair: qjs },
      { label: "--wasm-tiering-budget=200000", engine: "quickjs", flags: ["--wasm-tiering-budget=200000"], pair: qjs },
      { label: "componentize-qjs disableGc", engine: "quickjs", flags: [], pair: variants.disableGc },
      { label: "componentize-qjs optSize", engine: "quickjs", flags: [], pair: variants.optSize },
      // Repeats at the end: the spread between them is the noise floor of this machine.
      { label: "baseline (repeat)", engine: "quickjs", flags: [], pair: qjs },
      { label: "--wasm-inlining (repeat)", engine: "quickjs", flags: ["--wasm-inlining"], pair: qjs },
      { label: "baseline", engine: "starlingmonkey", flags: [], pair: sm },
      { label: "--wasm-inlining", engine: "starlingmonkey", flags: ["--wasm-inlining"], pair: sm },
      { label: "--no-liftoff", engine: "starlingmonkey", flags: ["--no-liftoff"], pair: sm },
    ];
    const speed: Array<Record<string, any>> = [];
    for (const c of configs) {
      const r = await runChild(c.flags, c.pair);
      speed.push({ label: c.label, engine: c.engine, flags: c.flags, ...r, heavyVsV8: round(r.heavyPerRowUs / v8.heavyPerRowUs, 1) });
      console.log(`${c.engine} ${c.label}: compile ${r.compileMs} ms, first call ${r.firstCallMs} ms, heavy ${r.heavyPerRowUs} µs/row, light ${r.lightPerRowUs} µs/row`);
    }

    const base = (engine: string) => speed.find((s) => s.engine === engine && s.label === "baseline")!;
    const engineRows = ["quickjs", "starlingmonkey"].map((e) => {
      const b = base(e);
      const x = engines[e];
      return [
        `${e} ${x.version}`,
        x.buildMs,
        x.stages.componentizing ?? "",
        round(x.componentBytes / 2 ** 20, 2),
        b.compileMs,
        b.instantiateMedianMs,
        b.firstCallMs,
        b.lightPerRowUs,
        round(b.lightPerRowUs / v8.lightPerRowUs, 0),
        b.heavyPerRowUs,
        round(b.heavyPerRowUs / v8.heavyPerRowUs, 1),
      ];
    });
    engineRows.push(["V8 (native, handler only)", "", "", "", "", "", "", v8.lightPerRowUs, 1, v8.heavyPerRowUs, 1]);
    engineRows.push(["V8 (native, SDK runtime + JSON)", "", "", "", "", "", "", v8.lightRuntimePerRowUs, round(v8.lightRuntimePerRowUs / v8.lightPerRowUs, 1), v8.heavyRuntimePerRowUs, round(v8.heavyRuntimePerRowUs / v8.heavyPerRowUs, 1)]);
    const engineTable = table(
      ["engine", "deploy ms", "componentize ms", "component MiB", "compile ms", "instantiate ms", "first call ms", "light µs/row", "light vs V8", "heavy µs/row", "heavy vs V8"],
      engineRows,
    );
    const qb = base("quickjs");
    const speedTable = table(
      ["engine", "configuration", "compile ms", "instantiate ms", "first call ms", "light µs/row", "heavy µs/row", "heavy vs V8", "heavy vs baseline"],
      speed.map((s) => {
        const b = base(s.engine);
        return [s.engine, s.label, s.compileMs, s.instantiateMedianMs, s.firstCallMs, s.lightPerRowUs, s.heavyPerRowUs, s.heavyVsV8, round(s.heavyPerRowUs / b.heavyPerRowUs, 2)];
      }),
    );
    const compatTable = table(
      ["feature", "quickjs", "starlingmonkey"],
      Object.keys(qb.compat).map((k) => [k, qb.compat[k] ? "yes" : "no", base("starlingmonkey").compat[k] ? "yes" : "no"]),
    );
    console.log(`\n${engineTable}\n\n${speedTable}\n\n${compatTable}`);

    for (const e of Object.values(engines)) delete e.pair, delete e.nodeModules;
    const out = {
      benchmark: "engines",
      command: "npx tsx bench/engines/run.ts" + (QUICK ? " --quick" : ""),
      machine: machine(),
      date: new Date().toISOString(),
      rows: `${ROWS} rows per batch, texts from bench/encoding/row.ts; guest figures include host JSON encode + call + decode`,
      engines,
      variants: Object.fromEntries(Object.entries(variants).map(([k, v]) => [k, { componentBytes: v.bytes }])),
      v8,
      speed,
      tables: { engines: engineTable, speed: speedTable, compat: compatTable },
    };
    const file = join(HERE, "../results/engines.json");
    await mkdir(join(file, ".."), { recursive: true });
    await writeFile(file, JSON.stringify(out, null, 2) + "\n");
    console.log(`\nwrote ${file}`);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

await main();
