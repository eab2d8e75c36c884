/** Messages between a pool and its worker threads. Strings and compiled modules only: nothing to copy twice. */
import type { Language } from "../../builds/store.ts";

export interface WorkerSetup {
  bindingsFile: string;
  /** Compiled once in the main thread; posting a WebAssembly.Module shares it, no recompile. */
  modules: Array<[string, WebAssembly.Module]>;
  language: Language;
  /** Host interfaces the version may import (already checked at load; enforced again here). */
  allowlist: string[];
  /** Fresh per instance: snapshots would otherwise share their random state. */
  entropy: Uint8Array;
  /** Results larger than this (UTF-8 bytes) are refused before they leave the thread. */
  outputLimitBytes: number;
}

export type StartupMessage = { type: "ready" } | { type: "failed"; message: string };

export interface CallRequest {
  id: number;
  fn: string;
  batch: string;
}

export type CallOutcome =
  | { ok: true; envelope: string; memoryBytes: number }
  | { ok: false; kind: "guest" | "trap"; message: string; memoryBytes: number }
  | { ok: false; kind: "output"; bytes: number; message: string; memoryBytes: number };

export type CallReply = CallOutcome & { id: number };
