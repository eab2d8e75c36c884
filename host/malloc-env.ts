/**
 * glibc malloc settings for vial's processes. Left to glibc, freeing one
 * 7 MiB buffer raises the threshold for a page-backed allocation past it,
 * and later large buffers come from malloc's arenas, which keep what they
 * had: under a flood of 7 MiB batches the host kept 140 MiB it no longer
 * used (135 -> 272 MiB, 20 s after the flood). With a fixed threshold every
 * body-sized allocation gets pages of its own and gives them back when freed
 * (host 127 -> 141 MiB). glibc reads these when a process starts, so a
 * process cannot set its own: the image sets them for the host
 * (Dockerfile), and the host gives executors theirs (executors/sandbox.ts).
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
