/**
 * B. Spiky load: idle gaps, then a burst of simultaneous requests, 10-row fuzzy
 * batches. One run with bursts as wide as the pool; one at 4x, against an
 * environment whose queue is as short as the pool, to show queueing and 503s.
 * E. Overhead: the same pattern with a 100-row identity batch.
 */
import { FUZZY, FUZZY_TIGHT, IDENTITY, type BenchEnv } from "../envs.ts";
import { fuzzyBatch, identityBatch } from "../rows.ts";
import { Recorder } from "../load/target.ts";
import { bursts, interleave, seededRandom, warmUp, warmUpUntil, WARM_UP_CALLS } from "../load/patterns.ts";
import { callFor, serving, settled, type Contender, type ScenarioContext } from "./context.ts";

/**
 * `idle`: the environment served nothing before (E's identity): every contender first gets the same unrecorded
 * calls as A and C give theirs, so a fresh executor's JIT tier-up is not what is measured (docs/performance.md).
 */
async function burstRun(ctx: ScenarioContext, all: Contender[], env: BenchEnv, body: string, width: number, count: number, capSeconds: number, idle = false) {
  const contenders = serving(all, env.name);
  const recs = new Map(contenders.map((c) => [c.name, new Recorder()]));
  for (const c of contenders) {
    const call = callFor(c, env.name, env.fn, body);
    await (idle ? warmUpUntil(call, WARM_UP_CALLS, ctx.mode.steady.warmUpSeconds * 3_000) : warmUp(call, 10));
  }
  const perRound = Math.ceil(count / ctx.mode.rounds);
  const capMs = (capSeconds * 1000) / ctx.mode.rounds;
  await interleave(
    contenders,
    ctx.mode.rounds,
    settled((c, round) =>
      bursts(callFor(c, env.name, env.fn, body), width, perRound, ctx.mode.spiky.gapMs, recs.get(c.name)!, seededRandom(round + 1), performance.now() + capMs),
    ),
  );
  return Object.fromEntries([...recs].map(([name, rec]) => [name, rec.report()]));
}

export async function spiky(ctx: ScenarioContext) {
  const { mode } = ctx;
  const body = fuzzyBatch(10);
  ctx.progress(`B spiky: bursts of ${mode.capacity}`);
  const atCapacity = await burstRun(ctx, ctx.contenders, FUZZY, body, mode.capacity, mode.spiky.bursts, mode.spiky.capSeconds);
  ctx.progress(`B spiky: bursts of ${4 * mode.capacity} (queue bound = pool size)`);
  const over = await burstRun(ctx, ctx.contenders, FUZZY_TIGHT, body, 4 * mode.capacity, Math.ceil(mode.spiky.bursts / 2), mode.spiky.capSeconds / 2);
  return {
    rows_per_batch: 10,
    gap_ms: mode.spiky.gapMs,
    capacity: { burst: mode.capacity, bursts: mode.spiky.bursts, cap_seconds: mode.spiky.capSeconds, by_contender: atCapacity },
    over_capacity: { burst: 4 * mode.capacity, max_queue: mode.capacity, bursts: Math.ceil(mode.spiky.bursts / 2), cap_seconds: mode.spiky.capSeconds / 2, by_contender: over },
  };
}

export async function overhead(ctx: ScenarioContext, contenders: Contender[]) {
  const { mode } = ctx;
  ctx.progress(`E overhead: identity 100 rows, bursts of ${mode.capacity}`);
  const result = await burstRun(ctx, contenders, IDENTITY, identityBatch(100), mode.capacity, mode.overhead.bursts, mode.overhead.capSeconds, true);
  return { rows_per_batch: 100, burst: mode.capacity, bursts: mode.overhead.bursts, cap_seconds: mode.overhead.capSeconds, gap_ms: mode.spiky.gapMs, by_contender: result };
}
