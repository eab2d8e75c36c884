/**
 * What a component instance's limits say about a call: whether it stopped
 * for memory (the cap on its linear memory), trapped, or answered too much.
 * A trap leaves the guest in an undefined state; a guest that ran into its
 * memory cap is full (or fragmented) and would fail the next call too.
 */
import { GuestCallError } from "../guest.ts";
import type { CallOutcome, InstanceLimits } from "../instance.ts";
import { rowRanOutOfMemory } from "../out-of-memory.ts";
import { cut, MAX_ERROR_CHARS } from "../guest-output.ts";

/** Near the cap counts as at it: the allocator's last failed grow may have asked for more than what was left. */
const FULL = 0.9;
/** QuickJS's and CPython's words for a failed allocation. */
const OUT_OF_MEMORY = /\bout of memory\b|\bMemoryError\b/i;


export function componentOutcome(result: { envelope: string } | { error: unknown }, memoryBytes: number, limits: InstanceLimits): CallOutcome {
  const full = memoryBytes >= FULL * limits.memoryLimitBytes;
  if ("error" in result) {
    const message = cut(result.error instanceof Error ? result.error.message : String(result.error), MAX_ERROR_CHARS);
    if (full || OUT_OF_MEMORY.test(message)) return { ok: false, kind: "memory", message };
    return { ok: false, kind: result.error instanceof GuestCallError ? "guest" : "trap", message };
  }
  if (full || rowRanOutOfMemory(result.envelope, OUT_OF_MEMORY)) return { ok: false, kind: "memory", message: "out of memory" };
  const bytes = Buffer.byteLength(result.envelope);
  return bytes > limits.outputLimitBytes ? { ok: false, kind: "output", bytes } : { ok: true, envelope: result.envelope };
}
