/** What the HTTP layer needs from a running host: kept narrow so the app can be built and tested on its own. */
import type { Environments, RefreshResult } from "./environments.ts";
import type { HostMetrics } from "./metrics.ts";
import type { Logger } from "./logger.ts";
import type { HostConfig } from "./config.ts";
import type { Store } from "../builds/store.ts";
import type { Tracing } from "./tracing/index.ts";
import type { ConnectionLimits } from "./connection-limits.ts";

export type HostStatus = "starting" | "ready" | "stopping";

export interface HostRuntime {
  environments: Environments;
  /** Where versions are published: the status page reads each environment's deploy history from it. */
  store: Store;
  metrics: HostMetrics;
  log: Logger;
  config: HostConfig;
  /** The connection limits `vial serve` enforces, derived from the config and the process's descriptor limit. */
  connections: ConnectionLimits;
  /** Set when OTEL_EXPORTER_OTLP_ENDPOINT is: resolves to the tracer (undefined if it could not load). */
  tracing?: Promise<Tracing | undefined>;
  status(): HostStatus;
  /** Re-reads current versions (all environments, or one), retrying refused ones. */
  reload(env?: string): Promise<RefreshResult[]>;
}
