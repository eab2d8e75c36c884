/**
 * Contender "vial": the real server (`vial serve`'s serve(): an executor per
 * environment, warm instances, the slow-client guards) on loopback;
 * "vial_wasm" is the same with `engine: "component"`. Started with the V8
 * flags under test (see bench/run.ts). "vial_direct" is the same host's
 * executors called on their own sockets (`directSockets`), skipping the host.
 */
import type { AddressInfo } from "node:net";
import { Store } from "../../builds/store.ts";
import { serve } from "../../host/serve.ts";
import { createLogger } from "../../host/logger.ts";
import { config, fail, reportListening } from "./child.ts";

export interface VialServerConfig {
  store: string;
  size: number;
  deadlineMs: number;
  /** Per-environment queue bound (the pool default applies to others). */
  maxQueue: Record<string, number>;
  defaultMaxQueue: number;
  /** "component": run every version's WebAssembly component, also where its engine is v8. */
  engine?: "component";
  /** A folder where each environment's executor also serves callers itself ("vial_direct"). */
  directSockets?: string;
}

async function main() {
  const cfg = config<VialServerConfig>();
  const store = new Store(cfg.store);
  const created = performance.now();
  const serving = await serve({
    store,
    watch: false,
    logger: createLogger("warn", 2),
    config: {
      port: 0,
      ...(cfg.directSockets ? { directSockets: cfg.directSockets } : {}),
      pool: { size: cfg.size, maxQueue: cfg.defaultMaxQueue, deadlineMs: cfg.deadlineMs, ...(cfg.engine ? { engine: cfg.engine } : {}) },
      environments: Object.fromEntries(Object.entries(cfg.maxQueue).map(([env, maxQueue]) => [env, { maxQueue }])),
    },
  });
  await serving.host.ready;
  const readyMs = performance.now() - created;
  // performance.now() counts from this process's start.
  const processReadyMs = performance.now();
  reportListening((serving.server.address() as AddressInfo).port, { readyMs, processReadyMs }, () => serving.shutdown());
}

main().catch(fail);
