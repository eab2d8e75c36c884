/** A. Steady load: closed loop at concurrency 1, the pool's capacity and 4x, 10-row fuzzy batches. */
import { FUZZY } from "../envs.ts";
import { fuzzyBatch } from "../rows.ts";
import { Recorder } from "../load/target.ts";
import { closedLoop, interleave, warmUp, warmUpUntil, WARM_UP_CALLS } from "../load/patterns.ts";
import { callFor, serving, settled, type ScenarioContext } from "./context.ts";

export async function steady(ctx: ScenarioContext) {
  const { mode } = ctx;
  const body = fuzzyBatch(10);
  const levels = [1, mode.capacity, 4 * mode.capacity];
  const contenders = serving(ctx.contenders, FUZZY.name);
  const out: Record<string, Record<string, ReturnType<Recorder["report"]>>> = {};
  for (const c of contenders) {
    await warmUp(callFor(c, FUZZY.name, FUZZY.fn, body), 20);
    // As many calls for the slow contenders as for the fast ones (up to a time cap): JIT warm-up goes by calls.
    await warmUpUntil(callFor(c, FUZZY.name, FUZZY.fn, body), WARM_UP_CALLS, mode.steady.warmUpSeconds * 3_000);
    await closedLoop(callFor(c, FUZZY.name, FUZZY.fn, body), levels.at(-1)!, mode.steady.warmUpSeconds * 1000, new Recorder());
  }
  for (const concurrency of levels) {
    ctx.progress(`A steady: concurrency ${concurrency}`);
    const recs = new Map(contenders.map((c) => [c.name, new Recorder()]));
    const slice = (mode.steady.secondsPerContender * 1000) / mode.rounds;
    await interleave(contenders, mode.rounds, settled((c) => closedLoop(callFor(c, FUZZY.name, FUZZY.fn, body), concurrency, slice, recs.get(c.name)!)));
    out[`c${concurrency}`] = Object.fromEntries([...recs].map(([name, rec]) => [name, rec.report()]));
  }
  return { rows_per_batch: 10, concurrency_levels: levels, by_concurrency: out };
}
