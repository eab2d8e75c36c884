/**
 * What the rest of vial knows of an engine: how an executor process running
 * it is started (its Node flags), how it makes warm instances of a version,
 * and how one running guest is made in this process (deploy's read-back of a
 * version's functions, `vial test`'s samples, tests and benchmarks). Adding an
 * engine is a folder with one of these, and its line in engines/index.ts.
 */
import type { Language } from "../manifest.ts";
import type { InstanceFactory } from "../instance.ts";
import type { Guest } from "../guest.ts";

/** A version as an engine needs it. */
export interface RunnableVersion {
  language: Language;
  bindings: string;
  core: Iterable<[string, Uint8Array]>;
  bundle?: string;
}

export interface RunningGuest extends Guest {
  stop(): void;
}

/** What an executor hands its engine to make instances (its setup carries all of it). */
export interface InstanceSetup {
  version: { bundle?: string; bindings: string; core: Iterable<[string, Uint8Array]>; manifest: { language: Language } };
  memoryLimitBytes: number;
  outputLimitBytes: number;
  /** Entry of a component instance's thread (bundled beside the executor). */
  componentWorker: string;
}

/** The engine lost control of an instance: the process that runs it must end. */
export type Fatal = (reason: string) => never;

export interface EngineDriver {
  /** What it runs, for reports: "the bundle in V8 isolates", "the WebAssembly component". */
  description: string;
  /** Node flags of an executor running it, beyond the permission model's (`confined`: its launcher set native layers, koffi included). */
  nodeFlags(opts: { confined: boolean }): string[];
  /** How an executor makes instances of its version: what can be compiled once is, here. */
  instanceFactory(setup: InstanceSetup, fatal: Fatal): Promise<InstanceFactory>;
  /** One running guest of `version` in this process. */
  instantiate(version: RunnableVersion, memoryLimitBytes: number): Promise<RunningGuest>;
}
