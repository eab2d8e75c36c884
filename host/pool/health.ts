/**
 * Whether an instance must be replaced after a call, and why. A trap leaves
 * the guest in an undefined state; a guest that ran into its memory cap is
 * full (or fragmented) and would fail the next call too.
 */
import type { CallOutcome } from "./worker-thread.ts";

export type RestartCause = "timeout" | "trap" | "memory" | "crash";

/** Near the cap counts as at it: the allocator's last failed grow may have asked for more than what was left. */
const FULL = 0.9;
const OUT_OF_MEMORY = /\bout of memory\b|\bMemoryError\b/i;

export function restartCause(outcome: CallOutcome, memoryLimitBytes: number): RestartCause | undefined {
  if (outcome.memoryBytes >= FULL * memoryLimitBytes) return "memory";
  if (!outcome.ok) {
    if (outcome.kind === "trap") return OUT_OF_MEMORY.test(outcome.message) ? "memory" : "trap";
    return OUT_OF_MEMORY.test(outcome.message) ? "memory" : undefined;
  }
  // A row that failed allocating: only the errors list is searched, never row data.
  if (outcome.envelope.includes("out of memory") || outcome.envelope.includes("MemoryError")) {
    const { errors } = JSON.parse(outcome.envelope) as { errors?: Array<{ error?: unknown }> };
    if (errors?.some((e) => typeof e.error === "string" && OUT_OF_MEMORY.test(e.error))) return "memory";
  }
  return undefined;
}
