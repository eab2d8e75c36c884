/**
 * An executor's scheduling priority while it runs large batches: every one
 * of its threads goes to the lowest priority (niceness 19) while at least
 * one large call is running, and back to its own afterwards. On two cores a
 * flood of large batches otherwise competes on equal terms with the other
 * environments' executors (all at the same niceness), and their small calls
 * wait behind it for a core; at 19 the flooded executor still gets every
 * core nobody else wants.
 *
 * Going back up needs the right to raise a priority: root (or CAP_SYS_NICE),
 * or the executor's RLIMIT_NICE allowing its own niceness. Without it the
 * executor keeps one priority throughout, and `available` says so.
 */
import { readFileSync } from "node:fs";
import { getPriority, setPriority } from "node:os";
import { threadIds } from "./threads.ts";

export const LARGE_BATCH_NICENESS = 19;

/** Whether a process's niceness, once raised, may be lowered back to `niceness` by this host. */
function mayRestore(pid: number, niceness: number): boolean {
  if (process.getuid?.() === 0) return true;
  try {
    // "Max nice priority   <soft>   <hard>": a soft limit r allows niceness down to 20 - r.
    const soft = readFileSync(`/proc/${pid}/limits`, "utf8").match(/^Max nice priority\s+(\d+)/m)?.[1];
    return soft !== undefined && 20 - Number(soft) <= niceness;
  } catch {
    return false;
  }
}

export class LargeBatchPriority {
  /** Whether the executor's priority follows its large calls here. */
  readonly available: boolean;
  /** The executor's own niceness, as it started. */
  readonly niceness: number;
  private running = 0;
  /** The process has ended: its pid may be reused, so nothing is set any more. */
  private ended = false;

  constructor(private readonly pid: number) {
    let niceness: number | undefined;
    try {
      niceness = getPriority(pid);
    } catch {
      // The process has already ended.
    }
    this.niceness = niceness ?? 0;
    this.available = niceness !== undefined && process.platform === "linux" && niceness < LARGE_BATCH_NICENESS && mayRestore(pid, niceness);
  }

  /** A large call starts; the returned function ends it (call it once). */
  enter(): () => void {
    if (!this.available) return () => undefined;
    if (this.running++ === 0) this.set(LARGE_BATCH_NICENESS);
    return () => {
      if (--this.running === 0) this.set(this.niceness);
    };
  }

  /** The executor's niceness, and the one it drops to for large batches where that applies. */
  get scheduling(): { niceness: number; largeBatchNiceness?: number } {
    return { niceness: this.niceness, ...(this.available ? { largeBatchNiceness: LARGE_BATCH_NICENESS } : {}) };
  }

  end(): void {
    this.ended = true;
  }

  /** Every thread's, not only the main thread's: on Linux a niceness belongs to a thread. */
  private set(niceness: number): void {
    if (this.ended) return;
    for (const tid of threadIds(this.pid)) {
      try {
        setPriority(Number(tid), niceness);
      } catch {
        // A thread that ended meanwhile.
      }
    }
  }
}
