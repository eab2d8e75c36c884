/**
 * Memory of a process and everything it started (a vial host and its
 * executors), from /proc. Reads are asynchronous: reading a large process's
 * smaps_rollup takes tens of milliseconds, which a synchronous read would add
 * to every latency the same process is measuring.
 */
import { readFile } from "node:fs/promises";

async function read(file: string): Promise<string> {
  try {
    return await readFile(file, "utf8");
  } catch {
    return "";
  }
}

async function children(pid: number): Promise<number[]> {
  return (await read(`/proc/${pid}/task/${pid}/children`)).split(/\s+/).filter(Boolean).map(Number);
}

export async function processTree(pid: number): Promise<number[]> {
  const below = await Promise.all((await children(pid)).map(processTree));
  return [pid, ...below.flat()];
}

async function kib(file: string, field: string): Promise<number> {
  const match = (await read(file)).match(new RegExp(`^${field}:\\s+(\\d+) kB`, "m"));
  return match ? Number(match[1]) : 0;
}

export interface TreeMemory {
  processes: number;
  rssBytes: number;
  pssBytes: number;
}

/**
 * Resident memory of the tree, bytes: RSS summed (pages shared between the
 * processes, such as Node's own code, counted once per process) and PSS (each
 * shared page split between its sharers: what the tree occupies in all).
 */
export async function treeMemory(pid: number, withPss = true): Promise<TreeMemory> {
  const pids = await processTree(pid);
  const sum = async (file: string, field: string) => (await Promise.all(pids.map((p) => kib(`/proc/${p}/${file}`, field)))).reduce((a, b) => a + b, 0) * 1024;
  const [rssBytes, pssBytes] = await Promise.all([sum("status", "VmRSS"), withPss ? sum("smaps_rollup", "Pss") : 0]);
  return { processes: pids.length, rssBytes, pssBytes };
}

/**
 * Samples the tree every `intervalMs` (a sample still running is not
 * overlapped) until stopped; PSS only every `pssEvery`th sample, since the
 * kernel walks every page table of the tree for it.
 */
export function sampleTreeMemory(pid: number, intervalMs: number, pssEvery = 10) {
  const samples: Array<TreeMemory & { at: number }> = [];
  let running: Promise<void> | undefined;
  let taken = 0;
  const timer = setInterval(() => {
    running ??= treeMemory(pid, taken++ % pssEvery === 0).then((m) => {
      samples.push({ ...m, at: performance.now() });
      running = undefined;
    });
  }, intervalMs);
  return {
    samples,
    async stop() {
      clearInterval(timer);
      await running;
      return {
        samples,
        peakRssBytes: Math.max(0, ...samples.map((s) => s.rssBytes)),
        peakPssBytes: Math.max(0, ...samples.map((s) => s.pssBytes)),
      };
    },
  };
}
