/** How an environment is served: plain data, resolved from config, no behaviour of its own. */
import type { EngineKind } from "../runtime/engines/index.ts";

export interface PoolPolicy {
  /** Warm instances kept ready. */
  size: number;
  /** Calls that may wait for a free instance; past it, 503. */
  maxQueue: number;
  /** Default per-call deadline (queue wait + run); a request may only lower it. */
  deadlineMs: number;
  /** Memory cap per instance (linear memory, or the isolate's heap). */
  memoryLimitBytes: number;
  /** Largest result (UTF-8 bytes of the envelope) a call may hand back; larger ones fail where the instance runs. */
  outputLimitBytes: number;
  /** Memory cap on the executor process as a whole (unset: enough for `size` instances at their cap, limits.ts). */
  executorMemoryBytes?: number;
  /** Suggested Retry-After (seconds) when the queue is full. */
  retryAfterSeconds: number;
  /** "component" runs a version's WebAssembly component even where its engine is v8 (unset: what the version says). */
  engine?: EngineKind;
}

export const DEFAULT_POLICY: PoolPolicy = {
  size: 2,
  maxQueue: 64,
  deadlineMs: 1000,
  memoryLimitBytes: 256 * 2 ** 20,
  outputLimitBytes: 32 * 2 ** 20,
  retryAfterSeconds: 1,
};

/** What a config file may set per environment (or as the default for all). */
export interface PoolSettings {
  size?: number;
  maxQueue?: number;
  deadlineMs?: number;
  memoryMiB?: number;
  outputLimitBytes?: number;
  executorMemoryMiB?: number;
  engine?: EngineKind;
}

export function resolvePolicy(defaults: PoolSettings = {}, forEnv: PoolSettings = {}): PoolPolicy {
  const s = { ...defaults, ...forEnv };
  return {
    size: s.size ?? DEFAULT_POLICY.size,
    maxQueue: s.maxQueue ?? DEFAULT_POLICY.maxQueue,
    deadlineMs: s.deadlineMs ?? DEFAULT_POLICY.deadlineMs,
    memoryLimitBytes: s.memoryMiB === undefined ? DEFAULT_POLICY.memoryLimitBytes : s.memoryMiB * 2 ** 20,
    outputLimitBytes: s.outputLimitBytes ?? DEFAULT_POLICY.outputLimitBytes,
    retryAfterSeconds: DEFAULT_POLICY.retryAfterSeconds,
    ...(s.executorMemoryMiB === undefined ? {} : { executorMemoryBytes: s.executorMemoryMiB * 2 ** 20 }),
    ...(s.engine ? { engine: s.engine } : {}),
  };
}

/** The deadline a request gets: the policy's, lowered (never raised) by the caller. */
export function effectiveDeadline(policy: PoolPolicy, requestedMs: number | undefined): number {
  return requestedMs === undefined ? policy.deadlineMs : Math.min(policy.deadlineMs, requestedMs);
}
