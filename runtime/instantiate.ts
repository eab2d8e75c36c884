/**
 * The one way to get a running guest of a version in this process, with its
 * language's import guard and its memory cap: what deploy reads functions
 * back with, and what tests and benchmarks call. Executors run the same
 * engines (runtime/engines/), split into compile-once and instantiate-per-instance.
 */
import { freshEntropy } from "./guest.ts";
import { ENGINES, type EngineKind } from "./engines/index.ts";
import type { RunnableVersion, RunningGuest } from "./engines/engine.ts";

export type { EngineKind } from "./engines/index.ts";
export type { RunnableVersion, RunningGuest } from "./engines/engine.ts";

export const DEFAULT_MEMORY_LIMIT_BYTES = 256 * 2 ** 20;

export async function instantiateVersion(version: RunnableVersion, opts: { engine?: EngineKind; memoryLimitBytes?: number } = {}): Promise<RunningGuest> {
  const guest = await ENGINES[opts.engine ?? "component"].instantiate(version, opts.memoryLimitBytes ?? DEFAULT_MEMORY_LIMIT_BYTES);
  await guest.reseed(freshEntropy());
  return guest;
}
