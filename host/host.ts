/**
 * Embedding the host: `createHost({ store })` loads and warms every
 * environment, keeps them current, and exposes the HTTP app and a direct
 * `invoke` for callers in the same process.
 *
 *   const host = createHost({ store: ".vial" });
 *   await host.ready;
 *   const { rows, errors } = await host.invoke("fuzzy", "fuzzy_similarity", [{ text: "brownie" }]);
 *   await host.close();
 */
import { existsSync } from "node:fs";
import type { Hono } from "hono";
import type { DestinationStream } from "pino";
import { Store } from "../builds/store.ts";
import { checkEnvironmentName } from "../builds/names.ts";
import { loadConfig, type HostConfig } from "./config.ts";
import { createLogger, type Logger } from "./logger.ts";
import { createMetrics, type HostMetrics } from "./metrics.ts";
import { Environments, type RefreshResult } from "./environments.ts";
import { ByteBudget } from "./admission/byte-budget.ts";
import { watchStore, type StoreWatcher } from "./store-watcher.ts";
import { invokeRows, type InvokeOptions, type InvokeResult } from "./invoke.ts";
import { createApp } from "./app.ts";
import type { HostEnv } from "./middleware/context.ts";
import type { HostRuntime, HostStatus } from "./runtime.ts";
import { loadTracing } from "./tracing/index.ts";
import { connectionLimits, type ConnectionLimits } from "./connection-limits.ts";

export interface CreateHostOptions {
  store?: Store | string;
  /** Settings over the defaults (and over $VIAL_TOKENS / $VIAL_ADMIN_TOKEN). */
  config?: Partial<HostConfig>;
  logger?: Logger;
  /** Where logs go when no logger is given (default stdout). */
  logDestination?: DestinationStream;
  /** Watch the store for deploys and rollbacks (default true). */
  watch?: boolean;
}

export interface Host {
  app: Hono<HostEnv>;
  /** Resolves once every environment's executor is warm (or its version was refused). */
  ready: Promise<void>;
  invoke(env: string, fn: string, rows: unknown[], opts?: Omit<InvokeOptions, "log">): Promise<InvokeResult>;
  /** Picks up new current versions now; refused versions are retried. */
  reload(env?: string): Promise<RefreshResult[]>;
  status(): HostStatus;
  metrics: HostMetrics;
  log: Logger;
  config: HostConfig;
  connections: ConnectionLimits;
  /** Stops taking calls, lets running ones finish (up to drainTimeoutMs), stops every instance. */
  close(): Promise<void>;
}

export function createHost(opts: CreateHostOptions = {}): Host {
  const config = { ...loadConfig(), ...definedOnly(opts.config ?? {}) };
  const store = opts.store instanceof Store ? opts.store : new Store(opts.store ?? config.store);
  const log = opts.logger ?? createLogger(config.logLevel, opts.logDestination);
  const budget = new ByteBudget(config.bufferLimitBytes, config.environmentBufferLimitBytes);
  // The metrics read executor states lazily, at scrape time, when `envs` exists.
  const metrics = createMetrics({
    executors: () => envs.executorViews(),
    buffered: () => budget.environments().map((env) => ({ env, bytes: budget.held(env) })),
  });
  const envs = new Environments(store, config, budget, metrics, log);

  let status: HostStatus = "starting";
  let watcher: StoreWatcher | undefined;
  const reload = async (env?: string) => {
    if (env === undefined) return envs.refreshAll(true);
    checkEnvironmentName(env);
    return [await envs.refresh(env, true)];
  };
  const tracing = loadTracing(process.env, (error) => log.error({ err: error.message }, "tracing could not start: requests are served untraced"));
  const connections = connectionLimits(config);
  const runtime: HostRuntime = { environments: envs, store, metrics, log, config, connections, tracing, status: () => status, reload };

  const ready = (async () => {
    // A missing store is not an error: the host is ready with nothing to serve and picks up the first deploy.
    if (!existsSync(store.root)) log.warn({ store: store.root }, "the store does not exist (yet): serving no environments until one is deployed to it");
    await envs.sandbox().then(
      ({ report }) => {
        log.info({ sandbox: report }, "executors are sandboxed");
        for (const warning of report.warnings) log.warn({ sandbox: warning }, "executor sandbox is weaker than it could be");
        if (!report.v8.available) log.warn({ reason: report.v8.reason }, "the V8 engine is not available: versions built for it run their WebAssembly component");
      },
      (error: Error) => log.error({ err: error.message }, "no executor can start on this machine"),
    );
    const results = await envs.refreshAll();
    if ((status as HostStatus) === "stopping") return; // close() may run while pools warm
    status = "ready";
    log.info({ store: store.root, environments: results.map((r) => `${r.env}@${r.version ?? "-"}:${r.status}`) }, "host ready");
    if (opts.watch !== false) {
      watcher = watchStore(store, config.watchPollMs, (env) => void (env ? envs.refresh(env) : envs.refreshAll()).catch((error: unknown) => log.error({ err: error }, "refresh failed")));
    }
  })();

  return {
    app: createApp(runtime),
    ready,
    invoke: (env, fn, rows, invokeOpts) => invokeRows(envs, env, fn, rows, { ...invokeOpts, log }),
    reload,
    status: () => status,
    metrics,
    log,
    config,
    connections,
    async close() {
      status = "stopping";
      watcher?.close();
      await ready.catch(() => undefined);
      await envs.close(config.drainTimeoutMs);
      await (await tracing)?.shutdown();
    },
  };
}

function definedOnly<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
