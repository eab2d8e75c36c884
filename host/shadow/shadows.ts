/**
 * The shadow versions being run, at most one per environment, as the store's
 * pointer says (current.json's `shadow`, written by `vial deploy --shadow`,
 * `vial shadow stop` and `vial promote`). A new shadow version gets an
 * executor of its own, read and verified like any version; a stopped or
 * replaced one drains. A version that cannot start is refused once, logged,
 * and not retried until the pointer changes.
 */
import type { Store } from "../../builds/store.ts";
import type { Logger } from "../logger.ts";
import { supervisionCounters, type HostMetrics } from "../metrics.ts";
import type { HostConfig } from "../config.ts";
import { resolvePolicy } from "../../supervision/policy.ts";
import { ByteBudget } from "../admission/byte-budget.ts";
import type { Supervisor } from "../../supervision/supervisor.ts";
import { startVersion } from "../../supervision/start.ts";
import { Shadow } from "./shadow.ts";

/** Mirrored calls a shadow holds, waiting or running, besides one per instance: past it they are shed. */
const SHADOW_QUEUE = 16;
/** Request and answer bytes all shadows together hold while their calls wait or run. */
const SHADOW_BYTES = 32 * 2 ** 20;
/** Below the current versions' executors (10): live calls come first. */
const SHADOW_NICENESS = 19;

export class Shadows {
  private readonly byEnv = new Map<string, Shadow>();
  private readonly refused = new Map<string, string>();
  private readonly draining = new Set<Supervisor>();
  private readonly budget = new ByteBudget(SHADOW_BYTES, SHADOW_BYTES);

  constructor(
    private readonly store: Store,
    private readonly config: Pick<HostConfig, "pool" | "environments" | "drainTimeoutMs">,
    private readonly metrics: HostMetrics,
    private readonly log: Logger,
  ) {}

  get(env: string): Shadow | undefined {
    return this.byEnv.get(env);
  }

  /** Every shadow executor, draining ones included (for metrics). */
  supervisors(): Supervisor[] {
    return [...[...this.byEnv.values()].map((s) => s.supervisor), ...this.draining];
  }

  /** Brings `env`'s shadow to what the store says (called in turn with the environment's other refreshes). */
  async refresh(env: string, closed: boolean): Promise<void> {
    const pointer = closed ? undefined : (await this.store.current(env).catch(() => undefined))?.shadow;
    const running = this.byEnv.get(env);
    if (!pointer) {
      this.refused.delete(env);
      if (running) this.stop(env, running, "stopped");
      return;
    }
    if (running?.version === pointer.version) {
      running.fraction = pointer.fraction;
      return;
    }
    if (this.refused.get(env) === pointer.version) return;
    const policy = resolvePolicy(this.config.pool, this.config.environments[env]);
    try {
      const { supervisor } = await startVersion(
        { env, version: pointer.version, versionDir: this.store.versionDir(env, pointer.version), policy: { ...policy, maxQueue: Math.min(policy.maxQueue, SHADOW_QUEUE) }, label: `${env}@shadow`, niceness: SHADOW_NICENESS },
        { budget: this.budget, counters: supervisionCounters(this.metrics), log: this.log },
      );
      this.byEnv.set(env, new Shadow(env, pointer.version, pointer.fraction, pointer.since, supervisor, policy.deadlineMs, this.metrics, this.log));
      if (running) this.stop(env, running, "replaced");
      this.log.info({ env, shadow: pointer.version, fraction: pointer.fraction }, "shadowing version");
    } catch (error) {
      this.refused.set(env, pointer.version);
      this.log.error({ env, shadow: pointer.version, err: (error as Error).message }, "shadow version refused");
    }
  }

  private stop(env: string, shadow: Shadow, why: string): void {
    this.byEnv.delete(env);
    this.draining.add(shadow.supervisor);
    void shadow.supervisor.drain(this.config.drainTimeoutMs).finally(() => this.draining.delete(shadow.supervisor));
    const counts = Object.fromEntries(Object.entries(shadow.stats.view()).map(([fn, { samples: _, ...rest }]) => [fn, rest]));
    this.log.info({ env, shadow: shadow.version, why, counts }, "shadow version stopped");
  }

  /** Stops every shadow; mirrored calls are expendable, so they get at most a second to finish. */
  async close(drainMs: number): Promise<void> {
    const all = this.supervisors();
    this.byEnv.clear();
    await Promise.all(all.map((s) => s.drain(Math.min(drainMs, 1000))));
  }
}
