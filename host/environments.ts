/**
 * The versions being served, one per environment, each by its own executor.
 * A new current version is read, verified and warmed in a new executor
 * beside the old one, then swapped in with one assignment; calls already on
 * the old executor finish there before it is stopped.
 */
import { readdir, stat } from "node:fs/promises";
import { rmSync } from "node:fs";
import { join } from "node:path";
import type { Store } from "../builds/store.ts";
import type { FunctionSchema } from "../runtime/schema.ts";
import type { Manifest } from "../runtime/manifest.ts";
import { LoadError } from "../runtime/errors.ts";
import type { Logger } from "./logger.ts";
import { supervisionCounters, type HostMetrics } from "./metrics.ts";
import type { HostConfig } from "./config.ts";
import { resolvePolicy, type PoolPolicy } from "../supervision/policy.ts";
import type { Supervisor, ExecutorView } from "../supervision/supervisor.ts";
import { executorCode } from "../supervision/code.ts";
import { executorSandbox, type Sandbox } from "../supervision/sandbox.ts";
import { startVersion } from "../supervision/start.ts";
import type { ByteBudget } from "./admission/byte-budget.ts";
import { directSocketPath, type DirectSockets } from "../supervision/direct-socket.ts";
import { directSockets, type DirectConfig } from "./direct-sockets.ts";
import { Shadows } from "./shadow/shadows.ts";
import type { Shadow } from "./shadow/shadow.ts";

export interface Served {
  env: string;
  version: string;
  manifest: Manifest;
  functions: Map<string, FunctionSchema>;
  policy: PoolPolicy;
  supervisor: Supervisor;
  since: string;
}

export type RefreshResult =
  | { env: string; status: "unchanged" | "loaded" | "removed"; version?: string }
  | { env: string; status: "refused"; version: string; error: string };

export class Environments {
  private readonly served = new Map<string, Served>();
  /** Old executors finishing their calls after a swap. */
  private readonly draining = new Set<Supervisor>();
  /** One refresh at a time per environment, in order. */
  private readonly refreshing = new Map<string, Promise<RefreshResult>>();
  /** Versions refused at load: retried when their files change (a copy still under way) or on a forced refresh, not on every poll. */
  private readonly refused = new Map<string, { version: string; error: string; files: string }>();
  private closed = false;
  private readonly shadows: Shadows;
  /** Where current versions' executors also serve callers themselves, if the host is configured so. */
  private readonly direct?: DirectSockets;

  constructor(
    private readonly store: Store,
    private readonly config: Pick<HostConfig, "pool" | "environments" | "drainTimeoutMs"> & DirectConfig,
    private readonly budget: ByteBudget,
    private readonly metrics: HostMetrics,
    private readonly log: Logger,
  ) {
    this.shadows = new Shadows(store, config, metrics, log);
    this.direct = directSockets(config);
  }

  get(env: string): Served | undefined {
    return this.served.get(env);
  }

  /** The version shadowing `env`'s current one, if any. */
  shadow(env: string): Shadow | undefined {
    return this.shadows.get(env);
  }

  list(): Served[] {
    return [...this.served.values()];
  }

  /** The version last refused for `env`, while it is still the current one in the store. */
  refusedVersion(env: string): { version: string; error: string } | undefined {
    const refused = this.refused.get(env);
    return refused && { version: refused.version, error: refused.error };
  }

  /** Every executor's view, draining ones included (for metrics). */
  async executorViews(): Promise<Array<{ env: string; view: ExecutorView }>> {
    const all = [...this.list().map((s) => s.supervisor), ...this.draining, ...this.shadows.supervisors()];
    return Promise.all(all.map(async (executor) => ({ env: executor.env, view: await executor.view() })));
  }

  /** The sandbox executors get on this machine (detected at the first start). */
  async sandbox(): Promise<Sandbox> {
    return executorSandbox(await executorCode());
  }

  /** Brings every environment in the store to its current version. */
  async refreshAll(force = false): Promise<RefreshResult[]> {
    const names = new Set([...(await this.store.environments()), ...this.served.keys()]);
    return Promise.all([...names].map((env) => this.refresh(env, force)));
  }

  refresh(env: string, force = false): Promise<RefreshResult> {
    const previous = this.refreshing.get(env) ?? Promise.resolve(undefined);
    const next = previous.then(async () => {
      const result = await this.refreshNow(env, force);
      await this.shadows.refresh(env, this.closed);
      return result;
    });
    this.refreshing.set(env, next);
    void next.finally(() => {
      if (this.refreshing.get(env) === next) this.refreshing.delete(env);
    });
    return next;
  }

  /** Lets running and queued calls finish (up to `drainMs`), then stops every executor. */
  async close(drainMs: number): Promise<void> {
    this.closed = true;
    await Promise.allSettled([...this.refreshing.values()]);
    const executors = [...this.list().map((s) => s.supervisor), ...this.draining];
    for (const env of this.served.keys()) this.unpublish(env);
    this.served.clear();
    await Promise.all([...executors.map((e) => e.drain(drainMs)), this.shadows.close(drainMs)]);
  }

  private async refreshNow(env: string, force: boolean): Promise<RefreshResult> {
    if (this.closed) return { env, status: "unchanged" };
    const current = await this.store.current(env).catch(() => undefined);
    const serving = this.served.get(env);
    if (!current) {
      if (!serving) return { env, status: "unchanged" };
      this.served.delete(env);
      this.unpublish(env);
      this.retire(serving.supervisor);
      this.log.warn({ env, version: serving.version }, "environment has no current version any more: stopped serving it");
      return { env, status: "removed" };
    }
    if (serving?.version === current.version) return { env, status: "unchanged", version: current.version };
    const versionDir = this.store.versionDir(env, current.version);
    const files = await fileList(versionDir);
    const refused = this.refused.get(env);
    if (!force && refused?.version === current.version && refused.files === files) return { env, status: "refused", version: refused.version, error: refused.error };

    const policy = resolvePolicy(this.config.pool, this.config.environments[env]);
    try {
      const { supervisor, manifest } = await startVersion(
        { env, version: current.version, versionDir, policy },
        { budget: this.budget, counters: supervisionCounters(this.metrics), log: this.log, direct: this.direct },
      );
      if (this.closed) {
        await supervisor.drain(0);
        return { env, status: "unchanged" };
      }
      this.served.set(env, { env, version: current.version, manifest, functions: new Map(manifest.functions.map((f) => [f.name, f])), policy, supervisor, since: new Date().toISOString() });
      // Present from the start (at 0), so "none happened" is visible rather than absent.
      this.metrics.requestPathInstantiations.inc({ env }, 0);
      this.metrics.restart(env, "timeout", 0);
      this.metrics.executorRestarts.inc({ env }, 0);
      this.refused.delete(env);
      if (serving) this.retire(serving.supervisor);
      this.metrics.deploys.inc({ env, result: "loaded" });
      this.log.info({ env, version: current.version, previous: serving?.version, instances: policy.size, engine: supervisor.engine }, "serving version");
      return { env, status: "loaded", version: current.version };
    } catch (error) {
      const message = error instanceof LoadError ? error.message : new LoadError(env, current.version, `its executor could not start: ${(error as Error).message}`).message;
      this.refused.set(env, { version: current.version, error: message, files });
      this.metrics.deploys.inc({ env, result: "refused" });
      this.log.error({ env, version: current.version, err: message, keeps: serving?.version }, "version refused");
      return { env, status: "refused", version: current.version, error: message };
    }
  }

  /** New callers of an environment no longer served find no socket (those connected finish on its executor). */
  private unpublish(env: string): void {
    if (this.direct) rmSync(directSocketPath(this.direct.folder, env), { force: true });
  }

  private retire(supervisor: Supervisor): void {
    this.draining.add(supervisor);
    void supervisor.drain(this.config.drainTimeoutMs).finally(() => this.draining.delete(supervisor));
  }
}

/** The files of a version folder with their sizes and times: changes while a version is still being copied in. */
async function fileList(dir: string): Promise<string> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []);
  const files = await Promise.all(
    entries
      .filter((e) => e.isFile())
      .map(async (e) => {
        const path = join(e.parentPath, e.name);
        const info = await stat(path).catch(() => undefined);
        return `${path}:${info?.size}:${info?.mtimeMs}`;
      }),
  );
  return files.sort().join("\n");
}
