/**
 * The one way to get a running guest of a version in this process, with its
 * language's import guard and its memory cap: what deploy reads functions
 * back with, and what tests and benchmarks call. Executors run the same
 * pieces, split into compile-once and instantiate-per-instance.
 */
import type { Language } from "./manifest.ts";
import { freshEntropy, type Guest } from "./guest.ts";
import { compileCore, instantiateComponent } from "./component/instantiate.ts";
import { startIsolate } from "./v8/isolate.ts";

/** How a version runs: its bundle in a V8 isolate, or its component's core modules in WebAssembly. */
export type EngineKind = "v8" | "component";

export interface RunnableVersion {
  language: Language;
  bindings: string;
  core: Iterable<[string, Uint8Array]>;
  bundle?: string;
}

export interface RunningGuest extends Guest {
  stop(): void;
}

export const DEFAULT_MEMORY_LIMIT_BYTES = 256 * 2 ** 20;

export async function instantiateVersion(version: RunnableVersion, opts: { engine?: EngineKind; memoryLimitBytes?: number } = {}): Promise<RunningGuest> {
  const memoryLimitBytes = opts.memoryLimitBytes ?? DEFAULT_MEMORY_LIMIT_BYTES;
  let guest: RunningGuest;
  if (opts.engine === "v8") {
    if (version.bundle === undefined) throw new Error("this version has no bundle for the V8 engine (deploy it again)");
    const isolate = await startIsolate(version.bundle, { memoryLimitBytes });
    guest = { ...isolate, stop: () => isolate.dispose() };
  } else {
    const modules = await compileCore(version.core, memoryLimitBytes);
    guest = { ...(await instantiateComponent({ language: version.language, bindings: version.bindings, modules })), stop: () => {} };
  }
  await guest.reseed(freshEntropy());
  return guest;
}
