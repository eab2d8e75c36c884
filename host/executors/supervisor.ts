/**
 * Keeps one environment version's executor running: admits calls (a bound on
 * what may be in flight, then 503), turns the executor's answers into
 * results or errors, and when the process ends on its own (crash, abort,
 * kill) restarts it with backoff, answering 503 with Retry-After meanwhile.
 * Only this environment notices.
 */
import type { Logger } from "../logger.ts";
import type { HostMetrics } from "../metrics.ts";
import type { PoolPolicy } from "../policy.ts";
import type { VersionArtifacts } from "../../runtime/version/read-version.ts";
import type { CallInput, CallReply, ExecutorMessage, ExecutorState } from "../../executor/protocol.ts";
import { ApiError, deadlineExceeded, executorLost, overloaded, unavailable } from "../../runtime/errors.ts";
import { Executor } from "./executor.ts";
import type { ExecutorCode } from "./code.ts";
import type { Sandbox } from "./sandbox.ts";
import type { EngineReport } from "./engine.ts";

/** Waits before restarting an executor that ended, by how many ended in a row without a quiet spell. */
const RESTART_BACKOFF_MS = [100, 500, 2000, 5000, 10_000, 30_000];
/** An executor that served this long before ending resets the backoff. */
const HEALTHY_AFTER_MS = 30_000;

export interface SupervisorDeps {
  code: ExecutorCode;
  sandbox: Sandbox;
  metrics: HostMetrics;
  log: Logger;
  /** Reads and verifies the version again (for restarts). */
  readVersion(): Promise<VersionArtifacts>;
}

export type CallAnswer = Extract<CallReply, { ok: true }>;

export interface ExecutorView {
  pid?: number;
  state?: ExecutorState;
  restarts: number;
  status: "running" | "restarting" | "stopped";
}

export class Supervisor {
  private executor?: Executor;
  private restarts = 0;
  private failuresInARow = 0;
  private startedAt = 0;
  private restartTimer?: NodeJS.Timeout;
  private stopped = false;

  constructor(
    readonly env: string,
    readonly version: string,
    readonly policy: PoolPolicy,
    readonly engine: EngineReport,
    private readonly deps: SupervisorDeps,
  ) {}

  /** Starts the executor with the verified version and waits until its instances are warm; throws if it cannot start. */
  async start(version: VersionArtifacts): Promise<void> {
    this.executor = await Executor.start({
      version,
      engine: this.engine,
      size: this.policy.size,
      maxQueue: this.policy.maxQueue,
      memoryLimitBytes: this.policy.memoryLimitBytes,
      outputLimitBytes: this.policy.outputLimitBytes,
      code: this.deps.code,
      sandbox: this.deps.sandbox,
      onMessage: (msg) => this.instanceEvent(msg),
      onStderr: (line) => this.deps.log.warn({ env: this.env, version: this.version, executor: this.executor?.pid, line }, "executor stderr"),
      onExit: (reason) => this.ended(reason),
    });
    this.startedAt = performance.now();
    this.deps.log.info({ env: this.env, version: this.version, executor: this.executor.pid, engine: this.engine }, "executor ready");
  }

  /** Throws the 503 a call would get now (executor restarting, or as many calls in flight as it may hold). */
  admit(): Executor {
    const executor = this.executor;
    if (!executor || executor.exited) throw unavailable(this.env, this.retryAfterSeconds());
    if (executor.inFlight >= this.policy.size + this.policy.maxQueue) throw overloaded(this.env, this.policy.retryAfterSeconds);
    return executor;
  }

  /** Runs one call; `deadlineMs` is the caller's, `timeLeftMs` what is left of it now. */
  async call(fn: string, input: CallInput, deadline: { deadlineMs: number; timeLeftMs: number }, signal?: AbortSignal): Promise<CallAnswer> {
    const executor = this.admit();
    const reply = await executor.call(fn, input, deadline, signal);
    if (reply === "deadline") throw deadlineExceeded(this.env, fn, deadline.deadlineMs, true);
    if (reply === "lost") throw executorLost(this.env, fn, executor.exitedBecause ?? "stopped");
    if (!reply.ok) throw new ApiError(reply.error.status, reply.error.code, reply.error.message, reply.error.retryAfter);
    return reply;
  }

  get inFlight(): number {
    return this.executor?.inFlight ?? 0;
  }

  async view(): Promise<ExecutorView> {
    const executor = this.executor;
    const status = this.stopped ? "stopped" : executor && !executor.exited ? "running" : "restarting";
    return { pid: executor?.pid, state: await executor?.state(), restarts: this.restarts, status };
  }

  /** Lets the calls taken finish (up to `graceMs`), then stops the executor. */
  async drain(graceMs: number): Promise<void> {
    this.stopped = true;
    clearTimeout(this.restartTimer);
    await this.executor?.stop(graceMs);
  }

  private instanceEvent(msg: Extract<ExecutorMessage, { type: "instance" }>): void {
    const { env } = this;
    const { metrics, log } = this.deps;
    switch (msg.event) {
      case "started":
        return void metrics.instantiations.inc({ env });
      case "restarted":
        metrics.restart(env, msg.cause);
        return void log.warn({ env, version: this.version, cause: msg.cause }, "instance replaced");
      case "start-failed":
        return void log.error({ env, version: this.version, err: msg.message }, "instance failed to start");
      case "request-path-instantiation":
        return void metrics.requestPathInstantiations.inc({ env });
    }
  }

  private ended(reason: string): void {
    if (this.stopped) return;
    this.restarts++;
    this.deps.metrics.executorRestarts.inc({ env: this.env });
    if (performance.now() - this.startedAt > HEALTHY_AFTER_MS) this.failuresInARow = 0;
    this.deps.log.error({ env: this.env, version: this.version, reason }, "executor ended: restarting it");
    this.scheduleRestart();
  }

  private scheduleRestart(): void {
    const delay = RESTART_BACKOFF_MS[Math.min(this.failuresInARow, RESTART_BACKOFF_MS.length - 1)]!;
    this.failuresInARow++;
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
    return Math.max(1, Math.ceil(RESTART_BACKOFF_MS[Math.min(this.failuresInARow, RESTART_BACKOFF_MS.length - 1)]! / 1000));
  }
}
