/**
 * Messages between the host and an executor, over the executor's channel
 * (channel.ts: V8's serialization, byte arrays cross as bytes; large bodies
 * in parts, parts.ts). The host
 * sends the version it verified, calls with their bodies as received and
 * the time left until their deadline; the executor answers each call once,
 * with the encoded response or the error to send.
 */
import type { EngineKind } from "../runtime/engines/index.ts";
import type { VersionArtifacts } from "../runtime/version/read-version.ts";
import type { ErrorCode } from "../runtime/errors.ts";
import type { RestartCause } from "../runtime/instance.ts";
import type { PoolState } from "./pool/pool.ts";
import type { PartMessage } from "./parts.ts";
import type { NonFiniteForm } from "../runtime/codec.ts";

export interface ExecutorSetup {
  type: "setup";
  version: VersionArtifacts;
  /** What runs: the bundle in isolates, or the component. */
  engine: EngineKind;
  size: number;
  maxQueue: number;
  memoryLimitBytes: number;
  outputLimitBytes: number;
  /** Entry of a component instance's thread (bundled beside the executor). */
  componentWorker: string;
  /** Where the executor serves its environment's callers itself (direct/server.ts): absent, it serves only the host. */
  direct?: DirectSetup;
}

/** The executor's own socket: a listener the host bound and handed over as a descriptor, and the host's rules for it. */
export interface DirectSetup {
  fd: number;
  /** The host's tokens as SHA-256 digests (runtime/token-digest.ts): those that may invoke this environment, those that may not, and whether a call without one may (no tokens configured). */
  tokens: { allowed: string[]; refused: string[]; open: boolean };
  bodyLimitBytes: number;
  /** Body bytes held at once, all calls together (being read, waiting, or answered). */
  bufferLimitBytes: number;
  /** The environment's deadline: a caller may only lower it. */
  deadlineMs: number;
  headersTimeoutMs: number;
  keepAliveTimeoutMs: number;
  maxConnections: number;
}

/** One call an executor answered on its own socket, as the host counts it. */
export interface ServedCall {
  fn: string;
  status: number;
  /** From the request's arrival to its answer being written. */
  ms: number;
  /** The error's code, for an answer that is one. */
  code?: ErrorCode;
}

/** Calls answered on the executor's own socket since the last report, and the guest's log lines they wrote. */
export interface ServedReport {
  type: "served";
  calls: ServedCall[];
  logs: string[];
}

/** The most calls, and log lines, one report carries: the executor sends one when either fills. */
export const MAX_REPORTED_CALLS = 1000;
export const MAX_REPORTED_LOG_LINES = 1000;

/** A body as the caller sent it, or rows already as values (callers in the host's process). */
export type CallInput =
  | { format: "json" | "cbor"; body: Uint8Array }
  | { format: "values"; rows: unknown[]; bytes: "base64" | "binary" };

export interface CallMessage {
  type: "call";
  id: number;
  fn: string;
  /** A body over PART_BYTES is its first part here, the rest follows in `part` messages. */
  input: CallInput;
  /** The whole body's length, when parts follow. */
  bodyBytes?: number;
  /** The caller's deadline (for messages), and the milliseconds left of it when the host sent the call. */
  deadlineMs: number;
  timeLeftMs: number;
  /** For a shadow version: the current version's answer to the same call, to compare with (the reply is the comparison). */
  compareWith?: CurrentAnswer;
  /** How a JSON answer writes NaN and ±Infinity, as the caller asked (x-vial-non-finite); null when absent. */
  nonFinite?: NonFiniteForm;
}

/** The current version's answer, as it went to the caller. */
export type CurrentAnswer = { format: "json" | "cbor"; body: Uint8Array } | { format: "values"; rows: unknown[]; errors: unknown[] };

/** A row's answer in a comparison: its output row, or its error. */
export type RowAnswer = Record<string, unknown> | { error: string };

export interface Comparison {
  compared: number;
  matched: number;
  mismatched: number;
  /** A few mismatched rows, bytes as base64. */
  /** A value too large to keep is a string saying so. */
  samples: Array<{ input: unknown; current: RowAnswer | string | null; shadow: RowAnswer | string | null }>;
}

export type HostMessage =
  | ExecutorSetup
  | CallMessage
  /** The caller is gone (deadline passed, connection closed): drop the call if it has not started. */
  | { type: "cancel"; id: number }
  | PartMessage
  | { type: "state"; id: number }
  /** Finish the calls taken, stop the instances, exit. */
  | { type: "stop" };

/** A row's undeclared output keys are counted up to this many: the host bounds what a reply may report by it. */
export const MAX_UNDECLARED_KEYS_PER_ROW = 1024;

export interface CallError {
  status: number;
  code: ErrorCode;
  message: string;
  retryAfter?: number;
}

/** performance.now() as ms since the epoch: comparable across the host's and its executors' processes. */
export const epochNow = (): number => performance.timeOrigin + performance.now();

/** When the guest call ran, in ms since the epoch (for traces: the host's clock and this one agree). */
export interface GuestTiming {
  start: number;
  end: number;
}

export type CallReply =
  | {
      type: "done";
      id: number;
      ok: true;
      /** Encoded; over PART_BYTES, its first part, the rest following in `part` messages (`bodyBytes` in all). */
      body: Uint8Array | { rows: unknown[]; errors: unknown[] };
      bodyBytes?: number;
      logs?: string[];
      guest?: GuestTiming;
      comparison?: Comparison;
      /** Keys of the guest's output rows that the function does not declare (top level, MAX_UNDECLARED_KEYS_PER_ROW a row at most). */
      undeclaredKeys?: number;
    }
  | { type: "done"; id: number; ok: false; error: CallError; logs?: string[]; guest?: GuestTiming };

export interface ExecutorState extends PoolState {
  rssBytes: number;
}

export type ExecutorMessage =
  | { type: "ready" }
  | { type: "failed"; message: string }
  | CallReply
  | PartMessage
  | { type: "state"; id: number; state: ExecutorState }
  | { type: "instance"; event: "started" }
  | { type: "instance"; event: "restarted"; cause: RestartCause }
  | { type: "instance"; event: "start-failed"; message: string }
  | { type: "instance"; event: "request-path-instantiation" }
  | ServedReport;
