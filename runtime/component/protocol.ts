/** Messages between a component instance's thread and its owner. Strings and compiled modules only: nothing to copy twice. */
import type { CallOutcome, InstanceLimits } from "../instance.ts";
import type { Language } from "../manifest.ts";

export interface WorkerSetup {
  language: Language;
  bindings: string;
  /** Compiled once by the owner; posting a WebAssembly.Module shares it, no recompile. */
  modules: Array<[string, WebAssembly.Module]>;
  limits: InstanceLimits;
  /** Fresh per instance: snapshots would otherwise share their random state. */
  entropy: Uint8Array;
}

export type StartupMessage = { type: "ready" } | { type: "failed"; message: string };

export interface CallRequest {
  id: number;
  fn: string;
  batch: string;
}

export type CallReply = CallOutcome & { id: number };
