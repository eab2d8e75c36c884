/**
 * C. Payload scaling: one request at a time, batches from 1 to 100,000 rows
 * (identity) and 1 to 1,000 rows (fuzzy). Time per row, and the exponent of
 * time vs rows fitted in log-log (1.0 = linear). The Python pair takes part up
 * to 1,000 rows (its own identity function, and the fuzzy example in Python):
 * its 1-row identity point is the fixed cost of a Python call.
 */
import { FUZZY, IDENTITY, type BenchEnv } from "../envs.ts";
import { fuzzyBatch, identityBatch } from "../rows.ts";
import { Recorder } from "../load/target.ts";
import { interleave, sequential, warmUp, warmUpUntil, WARM_UP_CALLS } from "../load/patterns.ts";
import { loglogSlope } from "../fit.ts";
import { callFor, serving, settled, type ScenarioContext } from "./context.ts";

export interface PayloadPoint {
  rows: number;
  requests: number;
  p50_ms: number;
  p99_ms: number;
  us_per_row: number;
}

/** Exponent fitted over this range of batch sizes (below it, fixed per-request costs dominate). */
export const FIT_FROM_ROWS = 100;

async function curve(ctx: ScenarioContext, env: BenchEnv, sizes: number[], batch: (n: number) => string, rowsPerPoint: number) {
  const { mode } = ctx;
  const all = serving(ctx.contenders, env.name);
  const points = new Map<string, PayloadPoint[]>(all.map((c) => [c.name, []]));
  // The same warm-up for every contender on this environment, whatever it served before (the Python pair's
  // identity environment gets its first calls here; vial's JS one has served E).
  const smallest = batch(sizes[0]!);
  for (const c of all) await warmUpUntil(callFor(c, env.name, env.fn, smallest), WARM_UP_CALLS, ctx.mode.steady.warmUpSeconds * 3_000);
  for (const rows of sizes) {
    ctx.progress(`C payload: ${env.name} ${rows} rows`);
    const body = batch(rows);
    const contenders = all.filter((c) => c.maxRows === undefined || rows <= c.maxRows);
    const reps = Math.min(mode.payload.maxReps, Math.max(mode.payload.minReps, Math.round(rowsPerPoint / rows)));
    const rounds = Math.min(mode.rounds, reps);
    const recs = new Map(contenders.map((c) => [c.name, new Recorder()]));
    for (const c of contenders) await warmUp(callFor(c, env.name, env.fn, body), rows >= 1_000 ? 1 : 3);
    await interleave(contenders, rounds, settled((c) => sequential(callFor(c, env.name, env.fn, body), Math.ceil(reps / rounds), recs.get(c.name)!)));
    for (const [name, rec] of recs) {
      const r = rec.report();
      points.get(name)!.push({ rows, requests: r.requests, p50_ms: r.p50_ms, p99_ms: r.p99_ms, us_per_row: Math.round((r.p50_ms / rows) * 1e6) / 1e3 });
    }
  }
  const exponents = Object.fromEntries(
    [...points].map(([name, pts]) => {
      const fitted = pts.filter((p) => p.rows >= FIT_FROM_ROWS);
      return [name, fitted.length >= 2 ? round3(loglogSlope(fitted.map((p) => ({ x: p.rows, y: p.p50_ms })))) : null];
    }),
  );
  return { env: env.name, fit_from_rows: FIT_FROM_ROWS, exponent_by_contender: exponents, points: Object.fromEntries(points) };
}

const round3 = (x: number) => Math.round(x * 1000) / 1000;

export async function payload(ctx: ScenarioContext) {
  return {
    identity: await curve(ctx, IDENTITY, ctx.mode.payload.identityRows, identityBatch, ctx.mode.payload.rowsPerPoint),
    fuzzy: await curve(ctx, FUZZY, ctx.mode.payload.fuzzyRows, fuzzyBatch, ctx.mode.payload.fuzzyRowsPerPoint),
  };
}
