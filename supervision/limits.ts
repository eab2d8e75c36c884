/**
 * What one executor process may take of the machine, as a whole: the
 * instances' own caps (an isolate's heap, a component's linear memory) do
 * not count everything a guest can make the process allocate (Intl objects
 * live outside the isolate's heap accounting), nor anything native code in
 * the executor would allocate.
 */
import { readFileSync } from "node:fs";
import type { PoolPolicy } from "./policy.ts";
import { loadIsolatedVm } from "../runtime/v8/isolated-vm.ts";

const MiB = 2 ** 20;
/**
 * Beside its instances' caps, an executor needs its own: Node and V8 (idle,
 * measured: 55 MiB with V8 isolates, 78 MiB with components), the batches
 * it decodes and encodes, and per instance what its cap does not count (a
 * component's thread and compiled code, 11 MiB measured; an isolate's
 * context and code).
 */
const EXECUTOR_OVERHEAD_BYTES = 256 * MiB;
const INSTANCE_OVERHEAD_BYTES = 64 * MiB;

export interface ExecutorLimits {
  /** Resident memory of the executor process; past it the process is killed, and restarted by its supervisor. */
  memoryBytes: number;
  /**
   * Its data segment (RLIMIT_DATA: private writable memory, reserved address space excluded, so V8's and
   * WebAssembly's reservations still fit): a hard stop for allocations faster than the watchdog looks.
   */
  dataBytes: number;
  /** Open descriptors (RLIMIT_NOFILE): an idle executor holds 20, 4 more per component instance. */
  descriptors: number;
  /** Processes and threads (RLIMIT_NPROC, counted in the executor's own user namespace): 11 idle, 1 more per component instance. */
  processes: number;
}

/**
 * What one more V8 isolate adds to a process's data segment on this Node:
 * from V8 12 (Node 22) an isolate reserves its code range writable (512 MiB
 * on x64), and that counts toward RLIMIT_DATA; before, it did not. Measured
 * once in this process, which runs the same Node as its executors.
 */
let isolateDataBytes = 0;
let measuring: Promise<number> | undefined;

/** Creates an isolate here, once, and sees what it added to this process's data segment. */
export function measureIsolateData(): Promise<number> {
  measuring ??= loadIsolatedVm().then((ivm) => {
    if (ivm instanceof Error) return 0;
    const before = dataSegmentBytes();
    const isolate = new ivm.Isolate({ memoryLimit: 8 });
    isolateDataBytes = Math.max(0, dataSegmentBytes() - before);
    isolate.dispose();
    return isolateDataBytes;
  });
  return measuring;
}

function dataSegmentBytes(): number {
  try {
    return Number(/^VmData:\s+(\d+) kB/m.exec(readFileSync("/proc/self/status", "utf8"))?.[1] ?? 0) * 1024;
  } catch {
    return 0;
  }
}

let hard: Map<string, number> | undefined;

/** This process's hard limit `name` (as /proc/self/limits names it): no child of it may have more. */
function hardLimit(name: string): number {
  if (!hard) {
    hard = new Map();
    try {
      for (const [, limit, value] of readFileSync("/proc/self/limits", "utf8").matchAll(/^(Max [a-z ]+?)\s{2,}\S+\s+(\d+)/gm)) hard.set(limit!, Number(value));
    } catch {
      // No /proc: nothing known, nothing lowered.
    }
  }
  return hard.get(name) ?? Infinity;
}

/** An environment's executor limits: its `executorMemoryBytes`, or enough for `size` instances at their cap. */
export function executorLimits(policy: Pick<PoolPolicy, "size" | "memoryLimitBytes" | "executorMemoryBytes">): ExecutorLimits {
  const memoryBytes = policy.executorMemoryBytes ?? policy.size * (policy.memoryLimitBytes + INSTANCE_OVERHEAD_BYTES) + EXECUTOR_OVERHEAD_BYTES;
  return {
    memoryBytes,
    // Twice the cap: thread stacks and committed-but-untouched pages count here but are not resident; and the
    // isolates' reservations where they count: Node's own, each instance's and a replacement's.
    dataBytes: Math.min(2 * memoryBytes + (policy.size + 2) * isolateDataBytes, hardLimit("Max data size")),
    descriptors: Math.min(256 + 16 * policy.size, hardLimit("Max open files")),
    processes: Math.min(64 + 4 * policy.size, hardLimit("Max processes")),
  };
}
