/**
 * A version's warm instances: calls take an idle instance or wait in a
 * bounded queue; instances that die or must be recycled are replaced in the
 * background, never on a caller's time.
 */
import type { LoadedVersion } from "../loader/load-version.ts";
import type { PoolPolicy } from "./policy.ts";
import { restartCause, type RestartCause } from "./health.ts";
import { WorkerThread, type CallOutcome } from "./worker-thread.ts";
import type { WorkerSetup } from "./protocol.ts";

export type PoolResult =
  | CallOutcome
  | { ok: false; kind: "memory"; message: string; memoryBytes: number }
  | { ok: false; kind: "timeout"; running: boolean }
  | { ok: false; kind: "overloaded" }
  | { ok: false; kind: "closed" };

export interface PoolEvents {
  instanceStarted(): void;
  instanceRestarted(cause: RestartCause): void;
  instanceStartFailed(error: Error): void;
  requestPathInstantiation(): void;
}

export interface PoolState {
  size: number;
  idle: number;
  busy: number;
  starting: number;
  queued: number;
}

interface Waiter {
  take(thread: WorkerThread): void;
  cancel(result: PoolResult): void;
  timer: NodeJS.Timeout;
}

const RESTART_BACKOFF_MS = [100, 500, 2000, 5000];

export class Pool {
  private readonly idle: WorkerThread[] = [];
  private readonly busy = new Set<WorkerThread>();
  private readonly queue: Waiter[] = [];
  private starting = 0;
  private failedStarts = 0;
  private draining = false;
  private closed = false;
  private drained?: () => void;

  constructor(
    readonly version: LoadedVersion,
    readonly policy: PoolPolicy,
    private readonly events: PoolEvents,
  ) {}

  /** Starts every instance; resolves when all are warm, rejects if none could start. */
  async start(): Promise<void> {
    const results = await Promise.allSettled(Array.from({ length: this.policy.size }, () => this.startInstance()));
    const failure = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
    if (failure && this.idle.length === 0) throw failure.reason;
  }

  state(): PoolState {
    return { size: this.policy.size, idle: this.idle.length, busy: this.busy.size, starting: this.starting, queued: this.queue.length };
  }

  /** Runs one batch; `deadlineAt` (performance.now() ms) covers waiting for an instance and the call itself. */
  async call(fn: string, batch: string, deadlineAt: number): Promise<PoolResult> {
    const thread = await this.acquire(deadlineAt);
    if (!(thread instanceof WorkerThread)) return thread;
    this.busy.add(thread);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<"timeout">((resolve) => {
      timer = setTimeout(() => resolve("timeout"), Math.max(0, deadlineAt - performance.now()));
    });
    try {
      const outcome = await Promise.race([thread.call(fn, batch), timeout]);
      if (outcome === "timeout") {
        this.retire(thread, "timeout");
        return { ok: false, kind: "timeout", running: true };
      }
      const cause = restartCause(outcome, this.policy.memoryLimitBytes);
      if (cause) {
        this.retire(thread, cause);
        if (cause === "memory") return { ok: false, kind: "memory", message: outcome.ok ? "out of memory" : outcome.message, memoryBytes: outcome.memoryBytes };
      } else {
        this.release(thread);
      }
      return outcome;
    } catch (error) {
      this.retire(thread, "crash");
      return { ok: false, kind: "trap", message: (thread.lastError ?? (error as Error)).message, memoryBytes: 0 };
    } finally {
      clearTimeout(timer);
    }
  }

  /** Finishes every call already taken (running or queued), then stops the instances. */
  drain(): Promise<void> {
    this.draining = true;
    return new Promise((resolve) => {
      this.drained = () => {
        this.drained = undefined;
        void this.close().then(resolve);
      };
      this.checkDrained();
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const waiter of this.queue.splice(0)) waiter.cancel({ ok: false, kind: "closed" });
    const threads = [...this.idle.splice(0), ...this.busy];
    this.busy.clear();
    await Promise.all(threads.map((t) => t.stop()));
  }

  private acquire(deadlineAt: number): Promise<WorkerThread | PoolResult> {
    if (this.closed) return Promise.resolve({ ok: false, kind: "closed" });
    const thread = this.idle.pop();
    if (thread) return Promise.resolve(thread);
    if (this.queue.length >= this.policy.maxQueue) return Promise.resolve({ ok: false, kind: "overloaded" });
    if (this.busy.size + this.starting === 0) {
      // Nothing warm and nothing on its way: the only case a caller waits for an instantiation.
      this.events.requestPathInstantiation();
      this.replace();
    }
    return new Promise((resolve) => {
      const waiter: Waiter = {
        take: (t) => {
          clearTimeout(waiter.timer);
          resolve(t);
        },
        cancel: (result) => {
          clearTimeout(waiter.timer);
          resolve(result);
        },
        timer: setTimeout(() => {
          this.queue.splice(this.queue.indexOf(waiter), 1);
          resolve({ ok: false, kind: "timeout", running: false });
          this.checkDrained();
        }, Math.max(0, deadlineAt - performance.now())),
      };
      this.queue.push(waiter);
    });
  }

  private release(thread: WorkerThread): void {
    this.busy.delete(thread);
    if (this.closed) return void thread.stop();
    const waiter = this.queue.shift();
    if (waiter) {
      this.busy.add(thread);
      waiter.take(thread);
      return;
    }
    this.idle.push(thread);
    this.checkDrained();
  }

  private retire(thread: WorkerThread, cause: RestartCause): void {
    this.busy.delete(thread);
    void thread.stop();
    this.events.instanceRestarted(cause);
    this.replace();
    this.checkDrained();
  }

  /** Background replacement; a failing start is retried with backoff. */
  private replace(): void {
    if (this.closed || this.draining) return;
    this.startInstance().catch(() => {
      const delay = RESTART_BACKOFF_MS[Math.min(this.failedStarts - 1, RESTART_BACKOFF_MS.length - 1)]!;
      setTimeout(() => this.replace(), delay).unref();
    });
  }

  private async startInstance(): Promise<void> {
    this.starting++;
    try {
      const thread = await WorkerThread.start(this.setup(), (t) => this.onThreadExit(t));
      this.failedStarts = 0;
      this.events.instanceStarted();
      this.starting--;
      if (this.closed || this.draining) return void thread.stop();
      this.release(thread);
    } catch (error) {
      this.starting--;
      this.failedStarts++;
      this.events.instanceStartFailed(error as Error);
      throw error;
    }
  }

  /** An idle thread that died on its own (not stopped by us) is replaced. */
  private onThreadExit(thread: WorkerThread): void {
    const index = this.idle.indexOf(thread);
    if (index < 0) return;
    this.idle.splice(index, 1);
    this.events.instanceRestarted("crash");
    this.replace();
  }

  private setup(): WorkerSetup {
    return {
      bindingsFile: this.version.bindingsFile,
      modules: [...this.version.modules],
      language: this.version.manifest.language,
      allowlist: this.version.allowlist,
      entropy: crypto.getRandomValues(new Uint8Array(32)),
      outputLimitBytes: this.policy.outputLimitBytes,
    };
  }

  private checkDrained(): void {
    if (this.draining && this.busy.size === 0 && this.queue.length === 0) this.drained?.();
  }
}
