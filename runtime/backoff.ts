/**
 * How long to wait before starting again something that keeps failing to start or keeps ending (an instance, an
 * executor): growing with the failures in a row, up to a ceiling of the caller's.
 */
const STEPS_MS = [100, 500, 2000, 5000, 10_000, 30_000];

/** The wait after `failuresInARow` failures (1 or more), at most `ceilingMs`. */
export const backoffMs = (failuresInARow: number, ceilingMs: number): number => Math.min(ceilingMs, STEPS_MS[Math.min(Math.max(failuresInARow, 1), STEPS_MS.length) - 1]!);
