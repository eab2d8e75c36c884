/**
 * `vial deploy`: module + environment -> a new immutable, current version.
 * Build everything in a staging folder, check it, then publish by rename, so a
 * failure at any step leaves the store as it was.
 */
import { mkdir, writeFile, rm } from "node:fs/promises";
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import type { Language, Store } from "./store.ts";
import type { Manifest, ResolvedDependency } from "./manifest.ts";
import type { FunctionSchema } from "../guest-sdk/js/schema.ts";
import type { BuildRequest, BuiltComponent } from "./built-component.ts";
import { buildJsComponent } from "./js/build.ts";
import { buildPythonComponent } from "./python/build.ts";
import { layerDependencies } from "./js/layer.ts";
import { pythonLayerDependencies } from "./python/layer.ts";
import { transpileComponent, BINDINGS_NAME } from "./transpile.ts";
import { sha256 } from "./digest.ts";
import { packageVersion } from "./package-version.ts";
import { VialError } from "./errors.ts";
import { compileCoreModules, instantiateGuest } from "../host/guest-instance.ts";
import { grantsFor, unversioned } from "../host/grants.ts";

export interface DeployOptions {
  store: Store;
  env: string;
  modulePath: string;
  progress?: (msg: string) => void;
}

export interface DeployResult {
  manifest: Manifest;
  versionDir: string;
}

interface LanguageBuilder {
  build(request: BuildRequest): Promise<BuiltComponent>;
  dependencies(layerDir: string): Promise<ResolvedDependency[]>;
}

const BUILDERS: Record<Language, LanguageBuilder> = {
  js: { build: buildJsComponent, dependencies: layerDependencies },
  python: { build: buildPythonComponent, dependencies: pythonLayerDependencies },
};

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
    if (!IDENTIFIER.test(f.name)) throw new VialError(`${modulePath}: function name '${f.name}' must be an identifier (letters, digits, _)`);
    for (const field of [...f.inputs, ...f.outputs]) {
      if (!IDENTIFIER.test(field.name) || RESERVED_FIELDS.has(field.name)) {
        throw new VialError(`${modulePath}: ${f.name} has a field named '${field.name}': field names must be identifiers other than ${[...RESERVED_FIELDS].join(", ")}`);
      }
    }
  }
}

export async function deploy(opts: DeployOptions): Promise<DeployResult> {
  const started = performance.now();
  const progress = opts.progress ?? (() => {});
  const modulePath = resolve(opts.modulePath);
  if (!existsSync(modulePath)) throw new VialError(`module ${opts.modulePath} does not exist`);
  const def = await opts.store.readEnvironment(opts.env);
  const layerDir = opts.store.layerDir(def.language, def.layer);
  const builder = BUILDERS[def.language];
  const { component, engine } = await builder.build({ modulePath, layerDir, engine: def.engine, progress });

  const grants = await grantsFor(def.language);
  const transpiled = await transpileComponent(component);
  const refused = transpiled.imports.filter((name) => !grants.allowlist.includes(unversioned(name)));
  if (refused.length > 0) {
    throw new VialError(`the component imports ${refused.join(", ")}, which ${def.language} environments are not granted: remove what uses them`);
  }

  const digest = sha256(component);
  const version = digest.slice(0, 16);
  const staged = await opts.store.staging();
  try {
    await mkdir(join(staged, "core"));
    await writeFile(join(staged, "component.wasm"), component);
    await writeFile(join(staged, `${BINDINGS_NAME}.mjs`), transpiled.bindings);
    for (const [file, bytes] of transpiled.core) await writeFile(join(staged, "core", file), bytes);

    progress("loading the component to read its functions");
    const core = [...transpiled.core].map(([file, bytes]) => ({ file, sha256: sha256(bytes) }));
    const instance = await instantiateGuest(join(staged, `${BINDINGS_NAME}.mjs`), await compileCoreModules(staged, { core }), await grants.createImports());
    const functions = (JSON.parse(instance.describe()) as { functions: FunctionSchema[] }).functions;
    checkNames(opts.modulePath, functions);

    const manifest: Manifest = {
      environment: opts.env,
      version,
      language: def.language,
      engine: engine.name,
      dependencies: await builder.dependencies(layerDir),
      functions,
      imports: transpiled.imports,
      component: { file: "component.wasm", bytes: component.length, sha256: digest },
      core,
      bindings: { file: `${BINDINGS_NAME}.mjs`, sha256: sha256(transpiled.bindings) },
      toolchain: {
        node: process.version,
        "@bytecodealliance/jco-transpile": packageVersion("@bytecodealliance/jco-transpile"),
        [engine.name]: engine.version,
        ...(def.language === "js" ? { esbuild: packageVersion("esbuild") } : {}),
      },
      buildMs: Math.round(performance.now() - started),
      createdAt: new Date().toISOString(),
    };
    await writeFile(join(staged, "manifest.json"), JSON.stringify(manifest, null, 2));
    const versionDir = opts.store.versionDir(opts.env, version);
    await opts.store.publishFolder(staged, versionDir);
    await opts.store.setCurrent(opts.env, version);
    return { manifest, versionDir };
  } catch (error) {
    await rm(staged, { recursive: true, force: true });
    throw error;
  }
}
