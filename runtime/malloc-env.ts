import { isMainThread } from "node:worker_threads";

/**
 * glibc malloc settings for vial's processes. Left to glibc, freeing one
 * 7 MiB buffer raises the threshold for a page-backed allocation past it,
 * and later large buffers come from malloc's arenas, which keep what they
 * had: under a flood of 7 MiB batches the host kept 140 MiB it no longer
 * used (135 -> 272 MiB, 20 s after the flood). With a fixed threshold every
 * body-sized allocation gets pages of its own and gives them back when freed
 * (host 127 -> 141 MiB). glibc reads these when a process starts, so a
 * process cannot set its own: the image sets them for the host
 * (Dockerfile), a host started by hand restarts itself with them where Node
 * can (restartWithMallocEnv), and the host gives executors theirs
 * (supervision/launch.ts).
 */

/**
 * The host's: bodies and answers (over 1 MiB) on pages of their own; the
 * 256 KiB parts they cross to executors in (executor/parts.ts) reuse arena
 * memory rather than map and fault in fresh pages for every part on the
 * host's event loop (with a 128 KiB threshold /healthz went past 50 ms under
 * the flood in 3 of 11 runs).
 */
export const MALLOC_ENV = { MALLOC_MMAP_THRESHOLD_: String(2 ** 20), MALLOC_ARENA_MAX: "2" };

/** An executor's: a lower threshold, which left a flooded executor 45 MiB smaller afterwards than 1 MiB did. */
export const EXECUTOR_MALLOC_ENV = { MALLOC_MMAP_THRESHOLD_: String(128 * 1024), MALLOC_ARENA_MAX: "2" };

/**
 * Restarts this process in place (same pid, program and arguments) with
 * MALLOC_ENV added, when it started with none of malloc's settings and Node
 * can replace its own process (process.execve, Node 22.15 and later): for a
 * host started by hand (`vial serve`, `vial dev`, `npm start`) rather than by
 * the image. Settings of the operator's own are kept. On older Node it goes
 * on as it is, keeping what glibc keeps after large bodies.
 */
export function restartWithMallocEnv(): void {
  const { execve } = process as { execve?: (file: string, args: string[], env: NodeJS.ProcessEnv) => never };
  if (!execve || !isMainThread || Object.keys(MALLOC_ENV).some((name) => process.env[name] !== undefined)) return;
  execve(process.execPath, [process.execPath, ...process.execArgv, ...process.argv.slice(1)], { ...process.env, ...MALLOC_ENV });
}
