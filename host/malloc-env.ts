/**
 * glibc malloc settings for vial's processes: large allocations (request
 * bodies, batches, answers) always get pages of their own, so they go back
 * to the system when freed instead of staying in malloc's arenas after a
 * burst of big batches. Left to glibc, freeing one 7 MiB buffer raises the
 * threshold past it, and under a flood of 7 MiB batches the host kept 140
 * MiB it no longer used (135 -> 272 MiB, 20 s after the flood); with these
 * it came back to where it started (130 -> 132). glibc reads them when a
 * process starts, so a process cannot set its own: the image sets them for
 * the host (Dockerfile), and the host gives them to every executor.
 */
export const MALLOC_ENV = { MALLOC_MMAP_THRESHOLD_: String(128 * 1024), MALLOC_ARENA_MAX: "2" };
