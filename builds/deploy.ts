/**
 * `vial deploy`: module + environment -> a new immutable, current version (or the environment's shadow).
 * Build everything in a staging folder, check it, then publish by rename, so a
 * failure at any step leaves the store as it was.
 */
import { mkdir, writeFile, rm } from "node:fs/promises";
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import type { Store } from "./store.ts";
import type { Manifest } from "../runtime/manifest.ts";
import type { FunctionSchema } from "../runtime/schema.ts";
import { language } from "./languages.ts";
import { transpileComponent, BINDINGS_NAME } from "./transpile.ts";
import { sha256 } from "../runtime/digest.ts";
import { unversioned } from "../runtime/languages.ts";
import { instantiateVersion, type EngineKind, type RunnableVersion } from "../runtime/instantiate.ts";
import { loadIsolatedVm } from "../runtime/v8/isolated-vm.ts";
import { packageVersion } from "./package-version.ts";
import { VialError } from "./errors.ts";
import { nameProblem } from "./names.ts";
import { readSamples, runSamples } from "./samples.ts";

export interface DeployOptions {
  store: Store;
  env: string;
  modulePath: string;
  progress?: (msg: string) => void;
  /** Publish the version as the environment's shadow (mirrored this share of requests) instead of making it current. */
  shadow?: { fraction: number };
  /** A file of sample rows that must pass before the version is published (samples.ts). */
  samples?: string;
}

export interface DeployResult {
  manifest: Manifest;
  versionDir: string;
  /** What the sample rows showed that does not stop a deploy (output keys no output declares). */
  warnings: string[];
}

const BUNDLE_FILE = "bundle.mjs";

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** Keys that would reach an object's prototype if a careless consumer copied a row. */
const RESERVED_FIELDS = new Set(["__proto__", "constructor", "prototype"]);

/**
 * Function names become URL segments and field names become object keys in every
 * consumer: identifiers only, no anonymous default export, nothing prototype-shaped.
 */
function checkNames(modulePath: string, functions: FunctionSchema[]): void {
  if (functions.length === 0) {
    throw new VialError(`${modulePath} exports no transformation: export const name = transformation({ inputs, outputs, handler })`);
  }
  for (const f of functions) {
    if (f.name === "default") {
      throw new VialError(`${modulePath}: a transformation is the default export; export it under a name (export const name = transformation(...)), which becomes the function's name`);
    }
    const problem = nameProblem("function", f.name);
    if (problem) throw new VialError(`${modulePath}: ${problem}`);
    for (const field of [...f.inputs, ...f.outputs]) {
      if (!IDENTIFIER.test(field.name) || RESERVED_FIELDS.has(field.name)) {
        throw new VialError(`${modulePath}: ${f.name} has a field named '${field.name}': field names must be identifiers other than ${[...RESERVED_FIELDS].join(", ")}`);
      }
    }
  }
}

/** The functions a version describes, read back from a running guest. */
async function describeFunctions(version: RunnableVersion, engine: EngineKind): Promise<FunctionSchema[]> {
  const guest = await instantiateVersion(version, { engine });
  try {
    return (JSON.parse(await guest.describe()) as { functions: FunctionSchema[] }).functions;
  } finally {
    guest.stop();
  }
}

/** V8 must load the bundle the way the component did, where it can be tried: a bundle only V8 rejects is refused here, not at serve. */
async function checkBundleInV8(version: RunnableVersion, fromComponent: FunctionSchema[], progress: (msg: string) => void): Promise<void> {
  if ((await loadIsolatedVm()) instanceof Error) return progress("isolated-vm is not available here: the bundle was not tried in V8");
  progress("loading the bundle in V8");
  let fromV8: FunctionSchema[];
  try {
    fromV8 = await describeFunctions(version, "v8");
  } catch (error) {
    throw new VialError(`the module does not load in V8: ${(error as Error).message}`);
  }
  if (JSON.stringify(fromV8) !== JSON.stringify(fromComponent)) throw new VialError("the module describes different functions in V8 and in its component");
}

export async function deploy(opts: DeployOptions): Promise<DeployResult> {
  const started = performance.now();
  const progress = opts.progress ?? (() => {});
  const modulePath = resolve(opts.modulePath);
  if (!existsSync(modulePath)) throw new VialError(`module ${opts.modulePath} does not exist`);
  const def = await opts.store.readEnvironment(opts.env);
  if (opts.shadow && !(await opts.store.current(opts.env))) {
    throw new VialError(`environment '${opts.env}' has no current version to compare a shadow with: deploy one without --shadow first`);
  }
  const layerDir = opts.store.layerDir(def.language, def.layer);
  const lang = language(def.language);
  const built = await lang.build({ modulePath, layerDir, engine: def.engine, progress });

  const transpiled = await transpileComponent(built.component);
  const refused = transpiled.imports.filter((name) => !lang.allowlist.includes(unversioned(name)));
  if (refused.length > 0) {
    throw new VialError(`the component imports ${refused.join(", ")}, which ${def.language} environments are not granted: remove what uses them`);
  }

  const digest = sha256(built.component);
  const version = digest.slice(0, 16);
  const staged = await opts.store.staging();
  try {
    await mkdir(join(staged, "core"));
    await writeFile(join(staged, "component.wasm"), built.component);
    await writeFile(join(staged, `${BINDINGS_NAME}.mjs`), transpiled.bindings);
    for (const [file, bytes] of transpiled.core) await writeFile(join(staged, "core", file), bytes);
    if (built.bundle !== undefined) await writeFile(join(staged, BUNDLE_FILE), built.bundle);

    progress("loading the component to read its functions");
    const runnable: RunnableVersion = { language: def.language, bindings: new TextDecoder().decode(transpiled.bindings), core: transpiled.core, bundle: built.bundle };
    const functions = await describeFunctions(runnable, "component");
    checkNames(opts.modulePath, functions);
    if (built.engine === "v8") await checkBundleInV8(runnable, functions, progress);
    let warnings: string[] = [];
    if (opts.samples) {
      progress(`running the sample rows of ${opts.samples}`);
      warnings = await runSamples(runnable, functions, await readSamples(opts.samples, functions));
    }

    const manifest: Manifest = {
      environment: opts.env,
      version,
      language: def.language,
      engine: built.engine,
      componentEngine: built.componentEngine.name,
      dependencies: await lang.dependencies(layerDir),
      functions,
      imports: transpiled.imports,
      component: { file: "component.wasm", bytes: built.component.length, sha256: digest },
      core: [...transpiled.core].map(([file, bytes]) => ({ file, sha256: sha256(bytes) })),
      bindings: { file: `${BINDINGS_NAME}.mjs`, sha256: sha256(transpiled.bindings) },
      ...(built.bundle !== undefined ? { bundle: { file: BUNDLE_FILE, sha256: sha256(built.bundle) } } : {}),
      toolchain: {
        node: process.version,
        "@bytecodealliance/jco-transpile": packageVersion("@bytecodealliance/jco-transpile"),
        [built.componentEngine.name]: built.componentEngine.version,
        ...(def.language === "js" ? { esbuild: packageVersion("esbuild") } : {}),
      },
      buildMs: Math.round(performance.now() - started),
      createdAt: new Date().toISOString(),
    };
    await writeFile(join(staged, "manifest.json"), JSON.stringify(manifest, null, 2));
    const versionDir = opts.store.versionDir(opts.env, version);
    await opts.store.publishFolder(staged, versionDir);
    if (opts.shadow) await opts.store.setShadow(opts.env, version, opts.shadow.fraction);
    else await opts.store.setCurrent(opts.env, version);
    return { manifest, versionDir, warnings };
  } catch (error) {
    await rm(staged, { recursive: true, force: true });
    throw error;
  }
}
