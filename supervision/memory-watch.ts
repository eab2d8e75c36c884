/**
 * The memory cap on an executor process as a whole: the host reads the
 * process's resident size every MEMORY_WATCH_MS and, past its cap, has it
 * killed (its supervisor restarts it with backoff, as after any crash). An
 * isolate's heap limit does not count everything a guest can make V8
 * allocate (Intl objects took an executor to 3 GiB under a 64 MiB heap
 * limit, at about 150 MiB/s); RLIMIT_DATA (launch.ts) stops allocations too
 * fast for a watchdog.
 */
import { readFileSync } from "node:fs";

/** At the fastest growth found (150 MiB/s), a process is seen at most about 40 MiB past its cap. */
export const MEMORY_WATCH_MS = 250;

export interface MemoryWatch {
  stop(): void;
}

/** The resident size of process `pid` in bytes (undefined once it has ended, or where /proc cannot tell). */
export function residentBytes(pid: number): number | undefined {
  try {
    const kib = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1];
    return kib === undefined ? undefined : Number(kib) * 1024;
  } catch {
    return undefined;
  }
}

const mib = (bytes: number) => Math.round(bytes / 2 ** 20);

/** Calls `over` once, with what it saw ("went over its memory cap (…)"), when process `pid` holds more than `capBytes`. */
export function watchMemory(pid: number, capBytes: number, over: (reason: string) => void): MemoryWatch {
  const timer = setInterval(() => {
    const resident = residentBytes(pid);
    if (resident === undefined || resident <= capBytes) return;
    clearInterval(timer);
    over(`went over its memory cap (${mib(resident)} MiB resident, cap ${mib(capBytes)} MiB)`);
  }, MEMORY_WATCH_MS);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
