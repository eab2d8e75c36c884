/**
 * What every engine hands a pool: one warm guest instance that runs one batch
 * at a time, says in a structured way why a call failed (and whether the
 * instance must go), and can be stopped even in the middle of a call.
 */

/** Why an instance was replaced ("recycle": it answered, but kept more memory than an idle instance should hold). */
export const RESTART_CAUSES = ["timeout", "trap", "memory", "crash", "recycle"] as const;
export type RestartCause = (typeof RESTART_CAUSES)[number];

export type CallOutcome =
  /** `recycle`: the answer stands; the instance goes, replaced in the background. */
  | { ok: true; envelope: string; recycle?: true }
  /** The guest's WIT `err`: it rejected the whole batch; the instance is fine. */
  | { ok: false; kind: "guest"; message: string }
  /** The instance is in an undefined state (trap) or full (memory): the pool replaces it. */
  | { ok: false; kind: "trap" | "memory"; message: string }
  /** The result was larger than allowed; refused before it left the instance. */
  | { ok: false; kind: "output"; bytes: number };

export interface Instance {
  /** Runs one batch (JSON text) of `fn`; never called while a call is running. */
  call(fn: string, batch: string): Promise<CallOutcome>;
  /** Stops the instance, even mid-call (a call in flight rejects). */
  stop(): Promise<void>;
  /**
   * Gives back what past calls left on the instance's heap, where its engine
   * can (an isolate's heap can; a WebAssembly memory never shrinks). Never
   * called while a call is running.
   */
  collectGarbage?(): Promise<void>;
}

/** What an engine needs to make instances of one version for a pool. */
export interface InstanceLimits {
  /** Cap on the instance's memory (linear memory, or the isolate's heap). */
  memoryLimitBytes: number;
  /** Largest result (UTF-8 bytes of the envelope) a call may hand back. */
  outputLimitBytes: number;
}

/**
 * Starts one warm instance (instantiated and reseeded). `exited` is called if
 * the instance dies on its own after it was ready.
 */
export type InstanceFactory = (exited: () => void) => Promise<Instance>;
