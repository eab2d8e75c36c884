/**
 * Contender "vial": the real host (createHost, an executor per environment,
 * warm instances) on a real HTTP server on loopback; "vial_wasm" is the same
 * with `engine: "component"`. The "cold" contender is mounted in vial's
 * process under /cold/, as the brief for scale-from-zero: same code, no pool.
 * Started with the V8 flags under test (see bench/run.ts).
 */
import { Hono } from "hono";
import { Store } from "../../builds/store.ts";
import { createHost } from "../../host/host.ts";
import { coldRoutes } from "./cold.ts";
import { config, fail, listen } from "./child.ts";

export interface VialServerConfig {
  store: string;
  size: number;
  deadlineMs: number;
  /** Per-environment queue bound (the pool default applies to others). */
  maxQueue: Record<string, number>;
  defaultMaxQueue: number;
  /** Environments the cold route serves (none: no cold route). */
  cold: string[];
  /** "component": run every version's WebAssembly component, also where its engine is v8. */
  engine?: "component";
}

async function main() {
  const cfg = config<VialServerConfig>();
  const store = new Store(cfg.store);
  const created = performance.now();
  const host = createHost({
    store,
    watch: false,
    config: {
      pool: { size: cfg.size, maxQueue: cfg.defaultMaxQueue, deadlineMs: cfg.deadlineMs, ...(cfg.engine ? { engine: cfg.engine } : {}) },
      environments: Object.fromEntries(Object.entries(cfg.maxQueue).map(([env, maxQueue]) => [env, { maxQueue }])),
    },
  });
  await host.ready;
  const readyMs = performance.now() - created;
  // performance.now() counts from this process's start.
  const processReadyMs = performance.now();
  const app = new Hono();
  if (cfg.cold.length) app.route("/", await coldRoutes(store, cfg.cold));
  app.route("/", host.app);
  listen(app.fetch, { readyMs, processReadyMs }, () => host.close());
}

main().catch(fail);
