/**
 * Loading a published version the way the host runs it: core modules compiled
 * once (and reusable across instances and threads), then instantiated through
 * the version's transpiled bindings with exactly the imports the host grants.
 */
import "./wasm-flags.ts";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import type { Manifest } from "../builds/manifest.ts";
import { capMemory, WASM_PAGE } from "./wasm/memory-cap.ts";

export interface GuestInstance {
  describe(): string;
  reseed(entropy: Uint8Array): void;
  /** Returns the output envelope (JSON text); throws GuestCallError for the WIT `err` case. */
  call(fn: string, batch: string): string;
}

/** The guest answered `err`: the whole batch failed for a reason the guest reports. */
export class GuestCallError extends Error {
  override name = "GuestCallError";
}

export type CoreModules = Map<string, WebAssembly.Module>;

export interface CompileOptions {
  /** Largest linear memory any core module may define, in bytes (rewritten into the module before compiling). */
  memoryLimitBytes?: number;
}

export async function compileCoreModules(versionDir: string, manifest: Pick<Manifest, "core">, opts: CompileOptions = {}): Promise<CoreModules> {
  const modules: CoreModules = new Map();
  const maxPages = opts.memoryLimitBytes === undefined ? undefined : Math.floor(opts.memoryLimitBytes / WASM_PAGE);
  for (const { file } of manifest.core) {
    const bytes = await readFile(join(versionDir, "core", file));
    modules.set(file, await WebAssembly.compile((maxPages === undefined ? bytes : capMemory(bytes, maxPages)) as BufferSource));
  }
  return modules;
}

type InstantiateCore = (module: WebAssembly.Module, imports?: WebAssembly.Imports) => Promise<WebAssembly.Instance>;
type Instantiate = (
  getCoreModule: (name: string) => WebAssembly.Module,
  imports: object,
  instantiateCore?: InstantiateCore,
) => Promise<Record<string, Function>>;

export interface InstantiateOptions {
  /** Sees every core instance as the bindings create it (e.g. to find its memories). */
  onCoreInstance?: (instance: WebAssembly.Instance) => void;
}

export async function instantiateGuest(bindingsFile: string, modules: CoreModules, imports: object = {}, opts: InstantiateOptions = {}): Promise<GuestInstance> {
  const { instantiate } = (await import(pathToFileURL(bindingsFile).href)) as { instantiate: Instantiate };
  const instantiateCore: InstantiateCore = async (module, coreImports) => {
    const instance = await WebAssembly.instantiate(module, coreImports ?? {});
    opts.onCoreInstance?.(instance);
    return instance;
  };
  const exports = await instantiate(
    (name) => {
      const module = modules.get(name);
      if (!module) throw new Error(`bindings asked for unknown core module ${name}`);
      return module;
    },
    imports,
    instantiateCore,
  );
  return {
    describe: () => exports.describe() as string,
    reseed: (entropy) => exports.reseed(entropy),
    call(fn, batch) {
      try {
        return exports.call(fn, batch) as string;
      } catch (error) {
        // Depending on the jco version the `err` arrives as the bare string or wrapped with a `payload`.
        if (typeof error === "string") throw new GuestCallError(error);
        const payload = (error as { payload?: unknown } | null)?.payload;
        if (typeof payload === "string") throw new GuestCallError(payload);
        throw error;
      }
    },
  };
}
