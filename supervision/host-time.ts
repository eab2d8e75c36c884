/**
 * Timers for judging an executor, that neither the host's own stalls nor the executor's lack of CPU can fool.
 * When the host's event loop was blocked (a long synchronous task, a collection, a machine out of CPU), timers
 * fire late, before the loop has read what the executor sent meanwhile: acting at once would answer 504 for a
 * call that was done, or kill an executor that was fine. Timers run first in a turn of the loop and I/O after, so
 * every one of these lets the loop read what has arrived (one turn) before it acts; the one that kills an
 * executor also waits while it keeps firing late, as the host is then the one that is stuck, and while the
 * executor's threads wait for a CPU, as a busy machine is then what holds it back (run-queue.ts).
 */
import { runQueueWait } from "./run-queue.ts";

/** A timer this much late means the loop was blocked. */
const LATE_MS = 50;
/** How soon a late timer looks again. */
const RECHECK_MS = 50;
/** How long past its time a timer may be put off while the host keeps stalling. */
const MAX_POSTPONED_MS = 10_000;
/**
 * How long an executor's wait for a CPU may put a judgement off, at most: a compromised executor could make its
 * own threads wait (by running many at once), and is judged at last all the same.
 */
const MAX_STARVED_MS = 30_000;

export interface HostTimer {
  cancel(): void;
}

/** Runs `fn` `ms` from now, once the loop has read what arrived by then (for answers owed at a deadline). */
export function afterLoopTurn(ms: number, fn: () => void): HostTimer {
  return schedule(ms, fn, false);
}

/** Runs `fn` once `ms` have passed on a responsive loop (for a judgement that cannot be taken back: a kill). */
export function afterHostTime(ms: number, fn: () => void): HostTimer {
  return schedule(ms, fn, true);
}

/**
 * Runs `fn` once process `pid` has had `ms` in which it could run, on a responsive loop: the time its threads
 * waited for a CPU (an executor running large batches at the lowest priority on a busy machine) is added, up to
 * MAX_STARVED_MS, and looked at again once that has passed.
 */
export function afterTimeToRun(pid: number | undefined, ms: number, fn: () => void): HostTimer {
  const waited = pid === undefined ? () => 0 : runQueueWait(pid);
  let credited = 0;
  let timer: HostTimer;
  const judge = () => {
    const owed = Math.min(waited(), MAX_STARVED_MS) - credited;
    if (owed < LATE_MS) return fn();
    credited += owed;
    timer = afterHostTime(owed, judge);
  };
  timer = afterHostTime(ms, judge);
  return { cancel: () => timer.cancel() };
}

function schedule(ms: number, fn: () => void, patient: boolean): HostTimer {
  const due = performance.now() + ms;
  let timer: NodeJS.Timeout | undefined;
  let immediate: NodeJS.Immediate | undefined;
  const arm = (delay: number) => {
    const expected = performance.now() + delay;
    timer = setTimeout(() => {
      const now = performance.now();
      if (patient && now - expected > LATE_MS && now - due < MAX_POSTPONED_MS) return arm(RECHECK_MS);
      // The poll phase comes between this timer and the immediate: what arrived is read first.
      immediate = setImmediate(fn);
    }, delay);
  };
  arm(ms);
  return {
    cancel() {
      clearTimeout(timer);
      if (immediate) clearImmediate(immediate);
    },
  };
}
