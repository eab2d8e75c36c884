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

export async function compileCoreModules(versionDir: string, manifest: Manifest): Promise<CoreModules> {
  const modules: CoreModules = new Map();
  for (const { file } of manifest.core) {
    modules.set(file, await WebAssembly.compile(await readFile(join(versionDir, "core", file))));
  }
  return modules;
}

type Instantiate = (getCoreModule: (name: string) => WebAssembly.Module, imports: object) => Promise<Record<string, Function>>;

export async function instantiateGuest(bindingsFile: string, modules: CoreModules, imports: object = {}): Promise<GuestInstance> {
  const { instantiate } = (await import(pathToFileURL(bindingsFile).href)) as { instantiate: Instantiate };
  const exports = await instantiate((name) => {
    const module = modules.get(name);
    if (!module) throw new Error(`bindings asked for unknown core module ${name}`);
    return module;
  }, imports);
  return {
    describe: () => exports.describe() as string,
    reseed: (entropy) => exports.reseed(entropy),
    call(fn, batch) {
      try {
        return exports.call(fn, batch) as string;
      } catch (error) {
        const payload = (error as { payload?: unknown }).payload;
        if (typeof payload === "string") throw new GuestCallError(payload);
        throw error;
      }
    },
  };
}
