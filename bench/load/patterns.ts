/** Request patterns: closed loop at fixed concurrency, bursts after idle gaps, one at a time. */
import { send, type Recorder, type Target } from "./target.ts";

export interface Call {
  target: Target;
  env: string;
  fn: string;
  body: string;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** `concurrency` clients, each sending its next request as soon as the last answers, for `ms`. */
export async function closedLoop(call: Call, concurrency: number, ms: number, rec: Recorder): Promise<void> {
  const started = performance.now();
  const end = started + ms;
  const client = async () => {
    while (performance.now() < end) rec.add(await send(call.target, call.env, call.fn, call.body));
  };
  await Promise.all(Array.from({ length: concurrency }, client));
  rec.busyMs += performance.now() - started;
}

/**
 * Idle for a random gap, then `size` requests at once; the next gap starts when
 * all have answered. Stops after `count` bursts or at `until` (a slow contender
 * gets fewer samples rather than the whole run's time).
 */
export async function bursts(call: Call, size: number, count: number, gapMs: [number, number], rec: Recorder, random: () => number, until = Infinity): Promise<void> {
  for (let i = 0; i < count && performance.now() < until; i++) {
    await sleep(gapMs[0] + random() * (gapMs[1] - gapMs[0]));
    const outcomes = await Promise.all(Array.from({ length: size }, () => send(call.target, call.env, call.fn, call.body)));
    for (const o of outcomes) rec.add(o);
  }
}

export async function sequential(call: Call, count: number, rec: Recorder): Promise<void> {
  for (let i = 0; i < count; i++) rec.add(await send(call.target, call.env, call.fn, call.body));
}

/** Unrecorded requests, so no contender is measured on its first calls. */
export async function warmUp(call: Call, count: number): Promise<void> {
  for (let i = 0; i < count; i++) {
    const o = await send(call.target, call.env, call.fn, call.body);
    if (o.status !== 200) throw new Error(`${call.target.name} answered ${o.status} to ${call.env}/${call.fn} during warm-up`);
  }
}

/** Requests warmUpUntil sends a contender on an environment, unless its time runs out first. */
export const WARM_UP_CALLS = 3_000;

/**
 * Unrecorded load, one request at a time, until `calls` requests or `ms` have passed, whichever comes first: a
 * host and its executor reach their steady speed only after a few thousand calls (the JIT of every process on a
 * request's path), so a contender whose environment was idle until now is not measured cold beside one that
 * served earlier scenarios.
 */
export async function warmUpUntil(call: Call, calls: number, ms: number): Promise<void> {
  const end = performance.now() + ms;
  for (let i = 0; i < calls && performance.now() < end; i++) {
    const o = await send(call.target, call.env, call.fn, call.body);
    if (o.status !== 200) throw new Error(`${call.target.name} answered ${o.status} to ${call.env}/${call.fn} during warm-up`);
  }
}

/** Runs `step` for every contender in every round, rotating the order so none always goes first. */
export async function interleave<T>(items: T[], rounds: number, step: (item: T, round: number) => Promise<void>): Promise<void> {
  for (let round = 0; round < rounds; round++) {
    for (let i = 0; i < items.length; i++) await step(items[(i + round) % items.length]!, round);
  }
}

/** Seeded, so every contender gets the same gaps. */
export function seededRandom(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s ^ (s >>> 15), 0x2c1b3c6d) + 0x6d2b79f5) >>> 0;
    return s / 2 ** 32;
  };
}
