/**
 * The versions being served, one per environment. A new current version is
 * loaded and warmed beside the old one, then swapped in with one assignment;
 * calls already on the old pool finish there before it is stopped.
 */
import type { Store } from "../builds/store.ts";
import type { Logger } from "./logger.ts";
import type { HostMetrics } from "./metrics.ts";
import type { HostConfig } from "./config.ts";
import { loadVersion, type LoadedVersion } from "./loader/load-version.ts";
import { Pool, type PoolState } from "./pool/pool.ts";
import { resolvePolicy, type PoolPolicy } from "./pool/policy.ts";

export interface Served {
  env: string;
  version: LoadedVersion;
  policy: PoolPolicy;
  pool: Pool;
  since: string;
}

export type RefreshResult =
  | { env: string; status: "unchanged" | "loaded" | "removed"; version?: string }
  | { env: string; status: "refused"; version: string; error: string };

export class Environments {
  private readonly served = new Map<string, Served>();
  /** Old pools finishing their calls after a swap. */
  private readonly draining = new Set<Pool>();
  /** One refresh at a time per environment, in order. */
  private readonly refreshing = new Map<string, Promise<RefreshResult>>();
  /** Versions refused at load, not retried on every poll (a forced refresh retries). */
  private readonly refused = new Map<string, { version: string; error: string }>();
  private closed = false;

  constructor(
    private readonly store: Store,
    private readonly config: Pick<HostConfig, "pool" | "environments">,
    private readonly metrics: HostMetrics,
    private readonly log: Logger,
  ) {}

  get(env: string): Served | undefined {
    return this.served.get(env);
  }

  list(): Served[] {
    return [...this.served.values()];
  }

  /** The version last refused for `env`, while it is still the current one in the store. */
  refusedVersion(env: string): { version: string; error: string } | undefined {
    return this.refused.get(env);
  }

  poolStates(): Array<{ env: string; state: PoolState }> {
    return [
      ...this.list().map((s) => ({ env: s.env, state: s.pool.state() })),
      ...[...this.draining].map((pool) => ({ env: pool.version.env, state: pool.state() })),
    ];
  }

  /** Brings every environment in the store to its current version. */
  async refreshAll(force = false): Promise<RefreshResult[]> {
    const names = new Set([...(await this.store.environments()), ...this.served.keys()]);
    return Promise.all([...names].map((env) => this.refresh(env, force)));
  }

  refresh(env: string, force = false): Promise<RefreshResult> {
    const previous = this.refreshing.get(env) ?? Promise.resolve(undefined);
    const next = previous.then(() => this.refreshNow(env, force));
    this.refreshing.set(env, next);
    void next.finally(() => {
      if (this.refreshing.get(env) === next) this.refreshing.delete(env);
    });
    return next;
  }

  /** Lets running and queued calls finish (up to `drainMs`), then stops every instance. */
  async close(drainMs: number): Promise<void> {
    this.closed = true;
    await Promise.allSettled([...this.refreshing.values()]);
    const pools = [...this.list().map((s) => s.pool), ...this.draining];
    this.served.clear();
    let timer: NodeJS.Timeout | undefined;
    const giveUp = new Promise<void>((resolve) => (timer = setTimeout(resolve, drainMs)));
    await Promise.race([Promise.all(pools.map((p) => p.drain())), giveUp]);
    clearTimeout(timer);
    await Promise.all(pools.map((p) => p.close()));
  }

  private async refreshNow(env: string, force: boolean): Promise<RefreshResult> {
    if (this.closed) return { env, status: "unchanged" };
    const current = await this.store.current(env).catch(() => undefined);
    const serving = this.served.get(env);
    if (!current) {
      if (!serving) return { env, status: "unchanged" };
      this.served.delete(env);
      this.retire(serving.pool);
      this.log.warn({ env, version: serving.version.version }, "environment has no current version any more: stopped serving it");
      return { env, status: "removed" };
    }
    if (serving?.version.version === current.version) return { env, status: "unchanged", version: current.version };
    const refused = this.refused.get(env);
    if (!force && refused?.version === current.version) return { env, status: "refused", ...refused };

    const policy = resolvePolicy(this.config.pool, this.config.environments[env]);
    let pool: Pool | undefined;
    try {
      const version = await loadVersion(this.store, env, current.version, policy.memoryLimitBytes);
      pool = new Pool(version, policy, {
        instanceStarted: () => this.metrics.instantiations.inc({ env }),
        instanceRestarted: (cause) => {
          this.metrics.restart(env, cause);
          this.log.warn({ env, version: version.version, cause }, "instance replaced");
        },
        instanceStartFailed: (error) => this.log.error({ env, version: version.version, err: error.message }, "instance failed to start"),
        requestPathInstantiation: () => this.metrics.requestPathInstantiations.inc({ env }),
      });
      await pool.start();
      if (this.closed) {
        await pool.close();
        return { env, status: "unchanged" };
      }
      this.served.set(env, { env, version, policy, pool, since: new Date().toISOString() });
      // Present from the start (at 0), so "none happened" is visible rather than absent.
      this.metrics.requestPathInstantiations.inc({ env }, 0);
      this.metrics.restart(env, "timeout", 0);
      this.refused.delete(env);
      if (serving) this.retire(serving.pool);
      this.metrics.deploys.inc({ env, result: "loaded" });
      this.log.info({ env, version: version.version, previous: serving?.version.version, instances: policy.size }, "serving version");
      return { env, status: "loaded", version: version.version };
    } catch (error) {
      await pool?.close();
      const message = (error as Error).message;
      this.refused.set(env, { version: current.version, error: message });
      this.metrics.deploys.inc({ env, result: "refused" });
      this.log.error({ env, version: current.version, err: message, keeps: serving?.version.version }, "version refused");
      return { env, status: "refused", version: current.version, error: message };
    }
  }

  private retire(pool: Pool): void {
    this.draining.add(pool);
    void pool.drain().finally(() => this.draining.delete(pool));
  }
}
