/**
 * Keeps one environment version's executor running: admits calls before
 * their bodies are read (a place in its line and room in the host's byte
 * budget, or 503 at once), hands the executor at most one call per warm
 * instance, turns its answers into results or errors, and when the process
 * ends on its own (crash, abort, kill) restarts it with backoff, answering
 * 503 with Retry-After meanwhile. Only this environment notices.
 */
import { processLayers } from "./confinement.ts";
import type { KernelLayers } from "../executor/confinement/layers.ts";
import type { Logger } from "pino";
import type { PoolPolicy } from "./policy.ts";
import type { VersionArtifacts } from "../runtime/version/read-version.ts";
import { epochNow, type CallInput, type CallReply, type CurrentAnswer, type ExecutorMessage, type ExecutorState, type ServedReport } from "../executor/protocol.ts";
import type { NonFiniteForm } from "../runtime/codec.ts";
import { ApiError, bytesShed, clientGone, deadlineExceeded, executorLost, overloaded, unavailable } from "../runtime/errors.ts";
import { Gate, type Ticket } from "./gate.ts";
import { UNBOUNDED, type BodyBudget, type CallObserver, type Reservation, type SupervisionCounters } from "./collaborators.ts";
import { Executor, type ExecutorOptions } from "./executor.ts";
import { TokenBucket } from "./token-bucket.ts";
import { backoffMs } from "../runtime/backoff.ts";
import type { ExecutorCode } from "./code.ts";
import type { Sandbox } from "./sandbox.ts";
import type { EngineReport } from "./engine.ts";
import { DirectListener, type DirectSockets } from "./direct-socket.ts";

/** The longest wait before restarting an executor that keeps ending (the wait grows with how many ended in a row). */
const RESTART_CEILING_MS = 30_000;
/**
 * Guest log lines the host writes for one environment: a second's worth, and a burst of ten calls' worth. Writing
 * a log line is synchronous work on the host's loop: past this, lines are dropped and counted.
 */
const GUEST_LOG_LINES_PER_SECOND = 200;
const GUEST_LOG_BURST = 1000;
/** An executor that served this long before ending resets the backoff. */
const HEALTHY_AFTER_MS = 30_000;
/** Calls at the executor per warm instance: one running, one decoded and waiting behind it (small calls only). */
const CALLS_PER_INSTANCE = 2;
/**
 * A call this small may wait in the executor beside a running one (its decoded rows cost little to hold); a larger
 * one lowers the executor's priority while it runs (priority.ts).
 */
const SMALL_BODY_BYTES = 2 ** 20;
const SMALL_ROW_COUNT = 1_000;
const isSmall = (input: CallInput) => (input.format === "values" ? input.rows.length <= SMALL_ROW_COUNT : input.body.byteLength <= SMALL_BODY_BYTES);

export interface SupervisorDeps {
  code: ExecutorCode;
  sandbox: Sandbox;
  log: Logger;
  /** Body bytes shared with other environments (unbounded without one). */
  budget?: BodyBudget;
  /** Where its events are counted (nowhere without). */
  counters?: SupervisionCounters;
  /** Reads and verifies the version again (for restarts). */
  readVersion(): Promise<VersionArtifacts>;
  /** Scheduling niceness of the executor (default 10; a shadow version's runs lower). */
  niceness?: number;
  /** Where the executor also serves callers itself (current versions only, where the host is configured so). */
  direct?: DirectSockets;
}

export type CallAnswer = Extract<CallReply, { ok: true }>;

/** One admitted call: its place in line and the bytes it holds, given back once whatever happens. */
export interface Admission {
  ticket: Ticket;
  reservation: Reservation;
}

export interface ExecutorView {
  pid?: number;
  niceness?: number;
  largeBatchNiceness?: number;
  /** The executor's instances; `queued` counts the calls waiting in the host's line for one too. */
  state?: ExecutorState;
  restarts: number;
  status: "running" | "restarting" | "stopped";
  /** The running process's layers, from the kernel. */
  kernel?: KernelLayers;
  /** Where the executor serves invoke calls itself (directSockets). */
  directSocket?: string;
}

export interface CallOptions {
  /** Aborted when the caller is gone. */
  signal?: AbortSignal;
  observer?: CallObserver;
  /** For a shadow version: the current version's answer, which the executor compares its own with. */
  compareWith?: CurrentAnswer;
  /** How a JSON answer writes NaN and ±Infinity (null unless the caller asked for text). */
  nonFinite?: NonFiniteForm;
}

export class Supervisor {
  private executor?: Executor;
  private restarts = 0;
  private failuresInARow = 0;
  private startedAt = 0;
  private restartTimer?: NodeJS.Timeout;
  private stopped = false;
  private draining = false;
  /** The socket the running executor serves on, once published (a draining version's is its successor's). */
  private directSocket?: string;
  private readonly gate: Gate;
  private readonly logBucket = new TokenBucket(GUEST_LOG_LINES_PER_SECOND, GUEST_LOG_BURST);
  private readonly budget: BodyBudget;

  constructor(
    readonly env: string,
    readonly version: string,
    readonly policy: PoolPolicy,
    readonly engine: EngineReport,
    private readonly deps: SupervisorDeps,
  ) {
    this.gate = new Gate(policy.size, policy.maxQueue, CALLS_PER_INSTANCE);
    this.budget = deps.budget ?? UNBOUNDED;
  }

  /** Starts the executor with the verified version and waits until its instances are warm; throws if it cannot start. */
  async start(version: VersionArtifacts): Promise<void> {
    // A draining version's executor, restarted, must not take its successor's socket.
    const direct = this.draining ? undefined : this.deps.direct;
    const listener = direct && (await DirectListener.bind(direct.folder, this.env));
    try {
      this.executor = await this.startExecutor(version, listener && { listener, rules: direct!.rules(this.env, this.policy) });
    } catch (error) {
      listener?.discard();
      throw error;
    }
    // A version retired while this executor started (a restart racing a new version) leaves the socket to its successor.
    if (listener && this.draining) listener.discard();
    else if (listener) {
      listener.publish();
      this.directSocket = listener.path;
    }
    this.startedAt = performance.now();
    this.deps.log.info({ env: this.env, version: this.version, executor: this.executor.pid, engine: this.engine, ...(listener ? { direct: listener.path } : {}) }, "executor ready");
  }

  private startExecutor(version: VersionArtifacts, direct: ExecutorOptions["direct"]): Promise<Executor> {
    return Executor.start({
      version,
      engine: this.engine,
      size: this.policy.size,
      maxQueue: this.policy.maxQueue,
      memoryLimitBytes: this.policy.memoryLimitBytes,
      outputLimitBytes: this.policy.outputLimitBytes,
      code: this.deps.code,
      sandbox: this.deps.sandbox,
      niceness: this.deps.niceness,
      onMessage: (msg) => this.instanceEvent(msg),
      onStderr: (line) => this.deps.log.warn({ env: this.env, version: this.version, executor: this.executor?.pid, line }, "executor stderr"),
      onViolation: (reason) => {
        this.deps.counters?.protocolViolation(this.env);
        this.deps.log.error({ env: this.env, version: this.version, executor: this.executor?.pid, reason }, "executor broke the protocol: ending it");
      },
      onExit: (reason) => this.ended(reason),
      direct,
      onServed: (report) => this.served(report),
    });
  }

  /** Calls the executor answered on its own socket: counted as the host counts its own, their guest logs written. */
  private served(report: ServedReport): void {
    const { env } = this;
    const { counters, log } = this.deps;
    if (counters) for (const call of report.calls) counters.servedDirectly(env, call);
    for (const line of (report.logs.length > 0 && this.logsToWrite(report.logs)) || []) log.info({ env, version: this.version, guest: line, direct: true }, "guest log");
  }

  /**
   * Admits one call before its body is read: throws the 503 it gets now
   * (executor restarting, line full, no room for `bytes` more body bytes).
   */
  admit(bytes = 0): Admission {
    if (!this.executor || this.executor.exited) throw this.shed("unavailable", unavailable(this.env, this.retryAfterSeconds()));
    const ticket = this.gate.admit();
    if (!ticket) throw this.shed("queue", overloaded(this.env, this.policy.retryAfterSeconds));
    const reservation = this.budget.reserve(this.env, bytes);
    if (typeof reservation === "string") {
      ticket.release();
      throw this.shed(`bytes_${reservation}`, this.bytesShed(reservation));
    }
    return { ticket, reservation };
  }

  /** Takes room for `bytes` more body bytes of an admitted call, or returns the 503 that refuses them. */
  take(admission: Admission, bytes: number): ApiError | undefined {
    const bound = admission.reservation.grow(bytes);
    return bound && this.shed(`bytes_${bound}`, this.bytesShed(bound));
  }

  private bytesShed(bound: "host" | "environment"): ApiError {
    const limit = bound === "host" ? this.budget.totalBytes : this.budget.perEnvironmentBytes;
    return bytesShed(this.env, bound, limit, this.policy.retryAfterSeconds);
  }

  /**
   * Runs an admitted call once a warm instance is free for it; `deadlineAt`
   * (performance.now() ms) is the caller's, counted from its arrival.
   */
  async call(admission: Admission, fn: string, input: CallInput, deadline: { deadlineMs: number; deadlineAt: number }, opts: CallOptions = {}): Promise<CallAnswer> {
    const { signal, observer, compareWith, nonFinite } = opts;
    const waitedFrom = observer && epochNow();
    const small = isSmall(input);
    const waited = await admission.ticket.slot(deadline.deadlineAt, signal, small);
    if (observer) observer.waited(waitedFrom!, epochNow(), waited);
    if (waited === "timeout") throw deadlineExceeded(this.env, fn, deadline.deadlineMs, false);
    if (waited === "cancelled") throw clientGone();
    const executor = this.executor;
    if (!executor || executor.exited) throw unavailable(this.env, this.retryAfterSeconds());
    const sentAt = observer && epochNow();
    const reply = await executor.call(fn, input, { deadlineMs: deadline.deadlineMs, timeLeftMs: deadline.deadlineAt - performance.now() }, { signal, compareWith, nonFinite, large: !small });
    if (observer) {
      const outcome = typeof reply === "string" ? reply : reply.ok ? "ok" : reply.error.code;
      observer.ran(sentAt!, epochNow(), { pid: executor.pid, version: this.version, engine: this.engine.running, outcome }, typeof reply === "string" ? undefined : reply.guest);
    }
    if (reply === "deadline") throw deadlineExceeded(this.env, fn, deadline.deadlineMs, true);
    if (reply === "lost") throw executorLost(this.env, fn, executor.exitedBecause ?? "stopped");
    if (!reply.ok) throw new ApiError(reply.error.status, reply.error.code, reply.error.message, reply.error.retryAfter);
    if (reply.undeclaredKeys) this.deps.counters?.undeclaredOutputKeys(this.env, fn, reply.undeclaredKeys);
    return reply.logs ? { ...reply, logs: this.logsToWrite(reply.logs) } : reply;
  }

  /** The guest's log lines the host writes: the rest, past the environment's rate, are counted and dropped. */
  private logsToWrite(lines: string[]): string[] | undefined {
    const kept = lines.filter(() => this.logBucket.take());
    const dropped = this.logBucket.drained();
    if (dropped > 0) this.deps.counters?.guestLogsDropped(this.env, dropped);
    return kept.length > 0 ? kept : undefined;
  }

  private shed(reason: string, error: ApiError): ApiError {
    this.deps.counters?.shed(this.env, reason);
    return error;
  }

  async view(): Promise<ExecutorView> {
    const executor = this.executor;
    const status = this.stopped ? "stopped" : executor && !executor.exited ? "running" : "restarting";
    const state = await executor?.state();
    const line = this.gate.state();
    const kernel = executor?.pid !== undefined && !executor.exited ? await processLayers(executor.pid) : undefined;
    return {
      pid: executor?.pid,
      ...executor?.scheduling,
      state: state && { ...state, queued: state.queued + line.queued },
      restarts: this.restarts,
      status,
      ...(kernel ? { kernel } : {}),
      ...(this.directSocket ? { directSocket: this.directSocket } : {}),
    };
  }

  /** Lets the calls admitted finish, waiting or running (up to `graceMs`), then stops the executor. */
  async drain(graceMs: number): Promise<void> {
    this.draining = true;
    this.directSocket = undefined;
    const started = performance.now();
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.gate.idle(), new Promise((resolve) => (timer = setTimeout(resolve, graceMs)))]);
    clearTimeout(timer);
    this.stopped = true;
    clearTimeout(this.restartTimer);
    await this.executor?.stop(Math.max(0, graceMs - (performance.now() - started)));
  }

  private instanceEvent(msg: Extract<ExecutorMessage, { type: "instance" }>): void {
    const { env } = this;
    const { counters, log } = this.deps;
    switch (msg.event) {
      case "started":
        return void counters?.instanceStarted(env);
      case "restarted":
        counters?.instanceRestarted(env, msg.cause);
        // A recycled instance answered fine and only gave its memory back: not worth a warning.
        return void log[msg.cause === "recycle" ? "info" : "warn"]({ env, version: this.version, cause: msg.cause }, "instance replaced");
      case "start-failed":
        return void log.error({ env, version: this.version, err: msg.message }, "instance failed to start");
      case "request-path-instantiation":
        return void counters?.requestPathInstantiation(env);
    }
  }

  private ended(reason: string): void {
    if (this.stopped) return;
    this.restarts++;
    this.deps.counters?.executorRestarted(this.env, reason);
    if (performance.now() - this.startedAt > HEALTHY_AFTER_MS) this.failuresInARow = 0;
    this.deps.log.error({ env: this.env, version: this.version, reason }, "executor ended: restarting it");
    this.scheduleRestart();
  }

  private scheduleRestart(): void {
    this.failuresInARow++;
    const delay = backoffMs(this.failuresInARow, RESTART_CEILING_MS);
    this.restartTimer = setTimeout(async () => {
      if (this.stopped) return;
      try {
        await this.start(await this.deps.readVersion());
        if (this.stopped) await this.executor?.stop(0);
      } catch (error) {
        this.deps.log.error({ env: this.env, version: this.version, err: (error as Error).message }, "executor restart failed");
        this.scheduleRestart();
      }
    }, delay);
    this.restartTimer.unref();
  }

  private retryAfterSeconds(): number {
    return Math.max(1, Math.ceil(backoffMs(this.failuresInARow + 1, RESTART_CEILING_MS) / 1000));
  }
}
