/** How much each scenario measures: --smoke (test guard), --quick (< 3 min), or the full run. */
export type ModeName = "smoke" | "quick" | "full";

export interface Mode {
  name: ModeName;
  /** Warm instances per environment, and the size of the isolate / subprocess pools. */
  capacity: number;
  /** Interleaving: each scenario is cut into this many rounds, every contender once per round. */
  rounds: number;
  /**
   * Closed-loop concurrency levels are 1, capacity and 4x capacity, after
   * `warmUpSeconds` of load at the widest level per contender (unrecorded: JIT
   * tiers in every process on a request's path, so a few requests do not warm it).
   */
  steady: { secondsPerContender: number; warmUpSeconds: number };
  /** Bursts per run, unless a contender's time cap (seconds over all rounds) ends its share first. */
  spiky: { bursts: number; gapMs: [number, number]; capSeconds: number };
  /** Requests per batch size: rowsPerPoint / rows (identity) or fuzzyRowsPerPoint / rows, within [minReps, maxReps]. */
  payload: { identityRows: number[]; fuzzyRows: number[]; rowsPerPoint: number; fuzzyRowsPerPoint: number; minReps: number; maxReps: number };
  overhead: { bursts: number; capSeconds: number };
  /** H: seconds of closed loop (after a warm-up) per contender at `concurrency`. */
  cpu: { seconds: number; concurrency: number };
  footprint: { instantiations: number; rssInstances: number };
  /** pyRows: the fuzzy example in Python; pyCheapRows: the cheaper Python functions (haversine, numpy cosine). */
  compute: { rows: number; pyRows: number; pyCheapRows: number; ms: number };
  /** G: clients flooding one environment with large batches, for this long. */
  overload: { clients: number; seconds: number };
}

const IDENTITY_ROWS = [1, 10, 100, 1_000, 10_000, 100_000];

export const MODES: Record<ModeName, Mode> = {
  smoke: {
    name: "smoke",
    capacity: 2,
    rounds: 1,
    steady: { secondsPerContender: 0.3, warmUpSeconds: 0.1 },
    spiky: { bursts: 6, gapMs: [5, 15], capSeconds: 1 },
    payload: { identityRows: [1, 100, 1_000], fuzzyRows: [1, 10], rowsPerPoint: 2_000, fuzzyRowsPerPoint: 50, minReps: 2, maxReps: 5 },
    overhead: { bursts: 6, capSeconds: 1 },
    footprint: { instantiations: 2, rssInstances: 2 },
    compute: { rows: 20, pyRows: 10, pyCheapRows: 10, ms: 150 },
    overload: { clients: 4, seconds: 1 },
    cpu: { seconds: 0.5, concurrency: 8 },
  },
  quick: {
    name: "quick",
    capacity: 2,
    rounds: 3,
    steady: { secondsPerContender: 1, warmUpSeconds: 1 },
    spiky: { bursts: 300, gapMs: [5, 25], capSeconds: 5 },
    payload: { identityRows: IDENTITY_ROWS, fuzzyRows: [1, 10, 100, 1_000], rowsPerPoint: 20_000, fuzzyRowsPerPoint: 2_000, minReps: 3, maxReps: 30 },
    overhead: { bursts: 300, capSeconds: 5 },
    footprint: { instantiations: 5, rssInstances: 4 },
    compute: { rows: 200, pyRows: 50, pyCheapRows: 100, ms: 1_500 },
    overload: { clients: 64, seconds: 10 },
    cpu: { seconds: 4, concurrency: 8 },
  },
  full: {
    name: "full",
    capacity: 2,
    rounds: 6,
    steady: { secondsPerContender: 8, warmUpSeconds: 3 },
    spiky: { bursts: 3_000, gapMs: [5, 50], capSeconds: 90 },
    payload: { identityRows: IDENTITY_ROWS, fuzzyRows: [1, 10, 100, 1_000], rowsPerPoint: 1_000_000, fuzzyRowsPerPoint: 30_000, minReps: 5, maxReps: 200 },
    overhead: { bursts: 3_000, capSeconds: 60 },
    footprint: { instantiations: 20, rssInstances: 6 },
    compute: { rows: 1_000, pyRows: 200, pyCheapRows: 1_000, ms: 6_000 },
    overload: { clients: 200, seconds: 30 },
    cpu: { seconds: 10, concurrency: 8 },
  },
};
