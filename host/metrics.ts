/** The host's Prometheus metrics, in a registry of its own (several hosts may share a process in tests). */
import { Counter, Gauge, Histogram, Registry } from "prom-client";
import type { RestartCause } from "../runtime/instance.ts";
import type { ErrorCode } from "../runtime/errors.ts";
import type { ExecutorView } from "../supervision/supervisor.ts";
import type { SupervisionCounters } from "../supervision/collaborators.ts";
import { RecentActivity } from "./status/rolling.ts";
import { RecentEvents } from "./status/events.ts";

export interface HostMetrics {
  registry: Registry;
  requests: Counter<"env" | "function" | "status">;
  latency: Histogram<"env" | "function">;
  restarts: Counter<"env" | "cause">;
  executorRestarts: Counter<"env">;
  /** Executors ended for saying what the protocol does not allow (a compromised or broken executor). */
  protocolViolations: Counter<"env">;
  /** Guest log lines not written: over the host's rate for an environment. */
  guestLogsDropped: Counter<"env">;
  /** Keys of output rows a function returned but does not declare (dropped from the answer). */
  undeclaredOutputKeys: Counter<"env" | "function">;
  deploys: Counter<"env" | "result">;
  instantiations: Counter<"env">;
  requestPathInstantiations: Counter<"env">;
  /** Calls refused before their bodies were read (queue, byte budget, executor restarting). */
  shed: Counter<"env" | "reason">;
  /** Connections cut for being too slow (headers, body, a response nobody reads), past a limit, idle and anonymous, or gone mid-request. */
  clients: Counter<"event">;
  /** The last minutes per function and the recent events, for the status page. */
  activity: RecentActivity;
  events: RecentEvents;
  /** Shadow versions: rows compared with the current version's answers, and requests not mirrored or failed. */
  shadow: Record<"compared" | "matched" | "mismatched" | "shed" | "failed", Counter<"env" | "function" | "version">>;
  restart(env: string, cause: RestartCause, count?: number): void;
  executorRestarted(env: string, reason: string): void;
}

const SHADOW_HELP = {
  compared: ["vial_shadow_compared_rows_total", "Rows a shadow version answered and compared with the current version's answer"],
  matched: ["vial_shadow_matched_rows_total", "Compared rows whose shadow answer (output row or per-row error) equals the current one"],
  mismatched: ["vial_shadow_mismatched_rows_total", "Compared rows whose shadow answer differs from the current one"],
  shed: ["vial_shadow_shed_total", "Requests not mirrored to the shadow version because its queue or byte budget was full"],
  failed: ["vial_shadow_failed_total", "Mirrored requests whose shadow call failed outside the guest (executor lost or stuck)"],
} as const;

/** `executors` is read at scrape time: one state query per executor. */
export interface MetricSources {
  executors(): Promise<Array<{ env: string; view: ExecutorView }>>;
  /** Body bytes the host holds, by environment. */
  buffered(): Array<{ env: string; bytes: number }>;
}

export function createMetrics(sources: MetricSources): HostMetrics {
  const registry = new Registry();
  const registers = [registry];
  const requests = new Counter({
    name: "vial_requests_total",
    help: "Invoke requests by environment, function and HTTP status",
    labelNames: ["env", "function", "status"] as const,
    registers,
  });
  const latency = new Histogram({
    name: "vial_request_duration_seconds",
    help: "Invoke latency (queue wait + guest call + encoding)",
    labelNames: ["env", "function"] as const,
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers,
  });
  const restarts = new Counter({
    name: "vial_instance_restarts_total",
    help: "Instances replaced, by cause (timeout, trap, memory, crash, recycle)",
    labelNames: ["env", "cause"] as const,
    registers,
  });
  const executorRestarts = new Counter({
    name: "vial_executor_restarts_total",
    help: "Executor processes that ended on their own (crash, abort, killed when stuck) and were restarted",
    labelNames: ["env"] as const,
    registers,
  });
  const protocolViolations = new Counter({
    name: "vial_executor_protocol_violations_total",
    help: "Executors ended because a message broke the protocol (unknown, malformed, oversized, forged); each is restarted",
    labelNames: ["env"] as const,
    registers,
  });
  const guestLogsDropped = new Counter({
    name: "vial_guest_log_lines_dropped_total",
    help: "Guest log lines the host did not write: over its rate for the environment",
    labelNames: ["env"] as const,
    registers,
  });
  const undeclaredOutputKeys = new Counter({
    name: "vial_undeclared_output_keys_total",
    help: "Keys of output rows that the function does not declare, dropped from its answers (at most 1,024 counted a row)",
    labelNames: ["env", "function"] as const,
    registers,
  });
  const deploys = new Counter({
    name: "vial_deploys_total",
    help: "Versions loaded or refused by the host",
    labelNames: ["env", "result"] as const,
    registers,
  });
  const instantiations = new Counter({
    name: "vial_instantiations_total",
    help: "Instances started (in the background, off the request path)",
    labelNames: ["env"] as const,
    registers,
  });
  const requestPathInstantiations = new Counter({
    name: "vial_request_path_instantiations_total",
    help: "Requests that had to wait for an instance to be created (should stay 0)",
    labelNames: ["env"] as const,
    registers,
  });
  // One query per scrape, shared by the gauges below.
  let views: Promise<Array<{ env: string; view: ExecutorView }>> | undefined;
  const current = () => (views ??= sources.executors().finally(() => setTimeout(() => (views = undefined), 0)));
  const shed = new Counter({
    name: "vial_shed_total",
    help: "Calls refused before their bodies were read, by reason (queue, bytes_host, bytes_environment, unavailable)",
    labelNames: ["env", "reason"] as const,
    registers,
  });
  const clients = new Counter({
    name: "vial_client_events_total",
    help: "Connections cut or lost: slow headers, slow body, a response nobody reads, a client gone mid-body, past a connection limit, anonymous and idle, closed over an unread body",
    labelNames: ["event"] as const,
    registers,
  });
  new Gauge({
    name: "vial_buffered_bytes",
    help: "Request and response body bytes the host holds, by environment",
    labelNames: ["env"] as const,
    registers,
    collect() {
      this.reset();
      for (const { env, bytes } of sources.buffered()) this.set({ env }, bytes);
    },
  });
  new Gauge({
    name: "vial_queue_depth",
    help: "Calls waiting for a free instance",
    labelNames: ["env"] as const,
    registers,
    async collect() {
      this.reset();
      for (const { env, view } of await current()) this.inc({ env }, view.state?.queued ?? 0);
    },
  });
  new Gauge({
    name: "vial_instances",
    help: "Instances by state (idle, busy, starting), across the versions being served",
    labelNames: ["env", "state"] as const,
    registers,
    async collect() {
      this.reset();
      for (const { env, view } of await current()) {
        this.inc({ env, state: "idle" }, view.state?.idle ?? 0);
        this.inc({ env, state: "busy" }, view.state?.busy ?? 0);
        this.inc({ env, state: "starting" }, view.state?.starting ?? 0);
      }
    },
  });
  new Gauge({
    name: "vial_executor_resident_bytes",
    help: "Resident memory of each environment's executor process",
    labelNames: ["env"] as const,
    registers,
    async collect() {
      this.reset();
      for (const { env, view } of await current()) this.inc({ env }, view.state?.rssBytes ?? 0);
    },
  });
  const activity = new RecentActivity();
  const events = new RecentEvents();
  const shadowCounter = ([name, help]: readonly [string, string]) => new Counter({ name, help, labelNames: ["env", "function", "version"] as const, registers });
  const shadow = {
    compared: shadowCounter(SHADOW_HELP.compared),
    matched: shadowCounter(SHADOW_HELP.matched),
    mismatched: shadowCounter(SHADOW_HELP.mismatched),
    shed: shadowCounter(SHADOW_HELP.shed),
    failed: shadowCounter(SHADOW_HELP.failed),
  };
  return {
    registry,
    shadow,
    requests,
    latency,
    restarts,
    executorRestarts,
    protocolViolations,
    guestLogsDropped,
    undeclaredOutputKeys,
    deploys,
    instantiations,
    requestPathInstantiations,
    shed,
    clients,
    activity,
    events,
    restart(env, cause, count = 1) {
      restarts.inc({ env, cause }, count);
      if (count > 0) events.add({ kind: "instance-restart", env, message: `an instance was replaced (${cause})` });
    },
    executorRestarted(env, reason) {
      executorRestarts.inc({ env });
      events.add({ kind: "executor-restart", env, message: `the executor ${reason}: restarting it` });
    },
  };
}

/**
 * One invoke call, wherever it was answered (the host's route, an executor's own socket), counted the same way.
 * `fn` is absent for a call to an environment or function that does not exist: names from URLs must not grow the
 * labels. `error` is what the caller was answered, for the status page's events.
 */
export function countInvoke(metrics: HostMetrics, call: { env: string; fn?: string; status: number; ms: number; error?: { code: ErrorCode; message: string } }): void {
  const { env, fn, status, ms, error } = call;
  const labels = fn ? { env, function: fn } : { env: "unknown", function: "unknown" };
  metrics.requests.inc({ ...labels, status: String(status) });
  metrics.latency.observe(labels, ms / 1000);
  if (!fn) return;
  metrics.activity.record(env, fn, ms, status !== 200);
  if (error) metrics.events.add({ kind: "error", env, function: fn, status, code: error.code, message: error.message });
}

/** The host's metrics as what its supervisors count. */
export function supervisionCounters(metrics: HostMetrics): SupervisionCounters {
  return {
    shed: (env, reason) => metrics.shed.inc({ env, reason }),
    protocolViolation: (env) => metrics.protocolViolations.inc({ env }),
    executorRestarted: (env, reason) => metrics.executorRestarted(env, reason),
    instanceStarted: (env) => metrics.instantiations.inc({ env }),
    instanceRestarted: (env, cause) => metrics.restart(env, cause),
    requestPathInstantiation: (env) => metrics.requestPathInstantiations.inc({ env }),
    undeclaredOutputKeys: (env, fn, count) => metrics.undeclaredOutputKeys.inc({ env, function: fn }, count),
    guestLogsDropped: (env, count) => metrics.guestLogsDropped.inc({ env }, count),
    servedDirectly: (env, { fn, status, ms, code }) =>
      countInvoke(metrics, { env, fn: fn || undefined, status, ms, error: code && { code, message: `${code}, answered on the executor's own socket` } }),
  };
}
