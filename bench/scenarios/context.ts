/** What every scenario gets: the mode, the contenders' targets, and a progress line. */
import type { Mode } from "../modes.ts";
import type { Target } from "../load/target.ts";
import type { Call } from "../load/patterns.ts";

export interface Contender {
  name: string;
  target: Target;
  /** The environment this contender serves a bench environment under (Python contenders differ). */
  env(benchEnv: string): string | undefined;
  /** The largest batch this contender is measured with in C (Python's per-row cost would make larger ones the longest part of a run). */
  maxRows?: number;
  /** Runs after each of this contender's slices (cold's garbage is collected there, not in its next slice). */
  settle?(): Promise<void>;
}

export interface ScenarioContext {
  mode: Mode;
  contenders: Contender[];
  progress(msg: string): void;
}

/** An interleave step followed by the contender's settle. */
export const settled =
  (step: (c: Contender, round: number) => Promise<void>) =>
  async (c: Contender, round: number): Promise<void> => {
    await step(c, round);
    await c.settle?.();
  };

export function callFor(c: Contender, env: string, fn: string, body: string): Call {
  return { target: c.target, env: c.env(env) ?? env, fn, body };
}

/** Contenders that serve an equivalent of this bench environment. */
export const serving = (contenders: Contender[], env: string): Contender[] => contenders.filter((c) => c.env(env) !== undefined);

export const pick = (ctx: ScenarioContext, names: string[]): Contender[] => ctx.contenders.filter((c) => names.includes(c.name));
