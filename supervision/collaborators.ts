/**
 * What a supervisor works with when its user has one, and does without
 * otherwise: a budget of body bytes shared with other environments (the
 * host's), counters of what happened (the host's metrics), and an observer
 * of one call's timing (a request's trace). `vial run` needs none of them.
 */
import type { RestartCause } from "../runtime/instance.ts";
import type { GuestTiming, ServedCall } from "../executor/protocol.ts";

/** Which bound a body would pass: all environments' together, or this environment's share. */
export type Refusal = "host" | "environment";

export interface Reservation {
  /** Takes `bytes` more, or says which bound refuses them. */
  grow(bytes: number): Refusal | undefined;
  /** Takes `bytes` more whatever the bounds: for bytes already held (an answer on its way out). */
  add(bytes: number): void;
  /** Gives every byte back; once. */
  release(): void;
}

export interface BodyBudget {
  readonly totalBytes: number;
  readonly perEnvironmentBytes: number;
  reserve(env: string, bytes: number): Reservation | Refusal;
}

/** A supervisor's events worth counting, by environment. */
export interface SupervisionCounters {
  /** A call refused before its body was read (queue, bytes, executor restarting). */
  shed(env: string, reason: string): void;
  /** An executor ended for saying what the protocol does not allow. */
  protocolViolation(env: string): void;
  executorRestarted(env: string, reason: string): void;
  instanceStarted(env: string): void;
  instanceRestarted(env: string, cause: RestartCause): void;
  requestPathInstantiation(env: string): void;
  undeclaredOutputKeys(env: string, fn: string, count: number): void;
  guestLogsDropped(env: string, count: number): void;
  /** A call the executor answered on its own socket. */
  servedDirectly(env: string, call: ServedCall): void;
}

/** What a call reports as it goes through the environment's line and the executor (ms since the epoch). */
export interface CallObserver {
  waited(start: number, end: number, outcome: string): void;
  /** `guest`: when the guest call ran, as the executor measured it. */
  ran(start: number, end: number, executor: { pid?: number; version: string; engine: string; outcome: string }, guest?: GuestTiming): void;
}

/** No budget: every body fits. */
export const UNBOUNDED: BodyBudget = {
  totalBytes: Number.POSITIVE_INFINITY,
  perEnvironmentBytes: Number.POSITIVE_INFINITY,
  reserve: () => ({ grow: () => undefined, add: () => {}, release: () => {} }),
};
