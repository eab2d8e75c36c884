/**
 * How long a process was kept from running: the time its threads waited on
 * a run queue for a CPU (field 2 of /proc/<pid>/task/<tid>/schedstat, in
 * ns), as the kernel counts it. A process at a lowered priority on a busy
 * machine waits there however well it behaves; a process that is stuck
 * runs, or sleeps, instead. The kernel adds a wait when the thread gets
 * the CPU, so a wait still going on shows later.
 */
import { readFileSync } from "node:fs";
import { threadIds } from "./threads.ts";

/** An executor has a few dozen threads; one that made thousands would have the host read each file each time. */
const MAX_THREADS = 256;

function threadWaitsNs(pid: number): Map<string, number> {
  const waits = new Map<string, number>();
  for (const tid of threadIds(pid).slice(0, MAX_THREADS)) {
    try {
      const ns = Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, "utf8").split(" ")[1]);
      if (Number.isFinite(ns)) waits.set(tid, ns);
    } catch {
      // A thread that ended meanwhile.
    }
  }
  return waits;
}

/** Calls answered late come in bursts under overload: one reading serves the calls that start within this. */
const REUSE_START_MS = 100;
let lastStart: { pid: number; at: number; waits: Map<string, number> } | undefined;

/**
 * From now on, the longest any one thread of process `pid` has waited for a CPU, in ms (a thread started later
 * counts from its start; "now" may be up to REUSE_START_MS earlier). Always 0 where the kernel does not say.
 */
export function runQueueWait(pid: number): () => number {
  if (lastStart?.pid !== pid || performance.now() - lastStart.at > REUSE_START_MS) {
    lastStart = { pid, at: performance.now(), waits: threadWaitsNs(pid) };
  }
  const { waits } = lastStart;
  return () => {
    let longest = 0;
    for (const [tid, ns] of threadWaitsNs(pid)) longest = Math.max(longest, ns - (waits.get(tid) ?? 0));
    return longest / 1e6;
  };
}
