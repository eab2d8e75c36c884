/** Memory of a process and everything it started (a vial host and its executors), from /proc. */
import { readFileSync } from "node:fs";

function children(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8").split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

export function processTree(pid: number): number[] {
  return [pid, ...children(pid).flatMap(processTree)];
}

function kib(file: string, field: string): number {
  try {
    const match = readFileSync(file, "utf8").match(new RegExp(`^${field}:\\s+(\\d+) kB`, "m"));
    return match ? Number(match[1]) : 0;
  } catch {
    return 0;
  }
}

/**
 * Resident memory of the tree, bytes: RSS summed (pages shared between the
 * processes, such as Node's own code, counted once per process) and PSS (each
 * shared page split between its sharers: what the tree occupies in all).
 */
export function treeMemory(pid: number): { processes: number; rssBytes: number; pssBytes: number } {
  const pids = processTree(pid);
  return {
    processes: pids.length,
    rssBytes: pids.reduce((sum, p) => sum + kib(`/proc/${p}/status`, "VmRSS") * 1024, 0),
    pssBytes: pids.reduce((sum, p) => sum + kib(`/proc/${p}/smaps_rollup`, "Pss") * 1024, 0),
  };
}
