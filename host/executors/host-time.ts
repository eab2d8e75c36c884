/**
 * Timers for judging an executor, that the host's own stalls cannot fool. When the host's event loop was
 * blocked (a long synchronous task, a collection, a machine out of CPU), a timer fires late and the executor's
 * answers that arrived meanwhile are still unread in the pipe: acting at once would answer 504 for a call that
 * was done, or kill an executor that was fine. So a timer that fires late looks again shortly after, and an
 * on-time one still lets the loop read what has arrived (one turn) before it acts.
 */

/** A timer this much late means the loop was blocked. */
const LATE_MS = 50;
/** How soon a late timer looks again. */
const RECHECK_MS = 50;
/** How long past its time a timer may be put off while the host keeps stalling. */
const MAX_POSTPONED_MS = 10_000;

export interface HostTimer {
  cancel(): void;
}

/** Runs `fn` once `ms` have passed on a responsive loop. */
export function afterHostTime(ms: number, fn: () => void): HostTimer {
  const due = performance.now() + ms;
  let timer: NodeJS.Timeout | undefined;
  let immediate: NodeJS.Immediate | undefined;
  const arm = (delay: number) => {
    const expected = performance.now() + delay;
    timer = setTimeout(() => {
      const now = performance.now();
      if (now - expected > LATE_MS && now - due < MAX_POSTPONED_MS) return arm(RECHECK_MS);
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
