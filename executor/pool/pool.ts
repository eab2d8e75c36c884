/**
 * A version's warm instances: calls take an idle instance or wait in a
 * bounded queue; instances that die or must be recycled are replaced in the
 * background, never on a caller's time. How an instance is made is the
 * caller's business (an `InstanceFactory`): the pool only keeps them.
 */
import type { CallOutcome, Instance, InstanceFactory, RestartCause } from "../../runtime/instance.ts";
import { backoffMs } from "../../runtime/backoff.ts";

export type PoolResult =
  | CallOutcome
  | { ok: false; kind: "timeout"; running: boolean }
  | { ok: false; kind: "overloaded" }
  | { ok: false; kind: "cancelled" }
  | { ok: false; kind: "closed" };

export interface PoolEvents {
  instanceStarted(): void;
  instanceRestarted(cause: RestartCause): void;
  instanceStartFailed(error: Error): void;
  requestPathInstantiation(): void;
}

export interface PoolSize {
  /** Warm instances kept ready. */
  size: number;
  /** Calls that may wait for a free instance; past it, `overloaded`. */
  maxQueue: number;
}

export interface PoolState {
  size: number;
  idle: number;
  busy: number;
  starting: number;
  queued: number;
}

interface Waiter {
  take(instance: Instance): void;
  leave(result: PoolResult): void;
}

/** An instance that keeps failing to start is tried again at most this long after the last failure. */
const INSTANCE_BACKOFF_CEILING_MS = 5000;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms).unref());

export class Pool {
  private readonly idle: Instance[] = [];
  private readonly busy = new Set<Instance>();
  private readonly queue: Waiter[] = [];
  private starting = 0;
  private failedStarts = 0;
  private draining = false;
  private closed = false;
  private drained?: () => void;

  constructor(
    private readonly factory: InstanceFactory,
    private readonly sizing: PoolSize,
    private readonly events: PoolEvents,
  ) {}

  /** Starts every instance; resolves when all are warm, rejects if none could start. */
  async start(): Promise<void> {
    const results = await Promise.allSettled(Array.from({ length: this.sizing.size }, () => this.startInstance()));
    const failure = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
    if (failure && this.idle.length === 0) throw failure.reason;
  }

  state(): PoolState {
    return { size: this.sizing.size, idle: this.idle.length, busy: this.busy.size, starting: this.starting, queued: this.queue.length };
  }

  /**
   * Runs one batch. `deadlineAt` (performance.now() ms) covers waiting for an
   * instance and the call itself; `signal` takes a call that has not started yet out of the queue.
   */
  async call(fn: string, batch: string, deadlineAt: number, signal?: AbortSignal): Promise<PoolResult> {
    const instance = await this.acquire(deadlineAt, signal);
    if (!("call" in instance)) return instance;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<"timeout">((resolve) => {
      timer = setTimeout(() => resolve("timeout"), Math.max(0, deadlineAt - performance.now()));
    });
    try {
      const outcome = await Promise.race([instance.call(fn, batch), timeout]);
      if (outcome === "timeout") {
        this.retire(instance, "timeout");
        return { ok: false, kind: "timeout", running: true };
      }
      if (!outcome.ok && (outcome.kind === "trap" || outcome.kind === "memory")) this.retire(instance, outcome.kind);
      else if (outcome.ok && outcome.recycle) this.retire(instance, "recycle");
      else this.release(instance);
      return outcome;
    } catch (error) {
      this.retire(instance, "crash");
      return { ok: false, kind: "trap", message: (error as Error).message };
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * Collects the garbage of every idle instance that can collect its own,
   * one at a time, each busy meanwhile: a call arriving takes another, or waits.
   */
  async collectGarbage(): Promise<void> {
    for (const instance of [...this.idle]) {
      const index = this.idle.indexOf(instance);
      if (index < 0 || !instance.collectGarbage) continue;
      this.idle.splice(index, 1);
      this.busy.add(instance);
      const collected = await instance.collectGarbage().then(
        () => true,
        () => false,
      );
      // One that failed to is replaced, as after a failed call (unless the pool is closing: release() stops it).
      if (collected || this.closed) this.release(instance);
      else this.retire(instance, "crash");
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
    for (const waiter of this.queue.splice(0)) waiter.leave({ ok: false, kind: "closed" });
    const instances = [...this.idle.splice(0), ...this.busy];
    this.busy.clear();
    await Promise.all(instances.map((i) => i.stop()));
  }

  private acquire(deadlineAt: number, signal?: AbortSignal): Promise<Instance | PoolResult> {
    if (this.closed) return Promise.resolve({ ok: false, kind: "closed" });
    if (signal?.aborted) return Promise.resolve({ ok: false, kind: "cancelled" });
    const instance = this.idle.pop();
    if (instance) {
      // Busy from this moment: another call acquiring before this one resumes must not see the pool empty.
      this.busy.add(instance);
      return Promise.resolve(instance);
    }
    if (this.queue.length >= this.sizing.maxQueue) return Promise.resolve({ ok: false, kind: "overloaded" });
    if (this.busy.size + this.starting === 0) {
      // Nothing warm and nothing on its way: the only case a caller waits for an instantiation.
      this.events.requestPathInstantiation();
      this.replace();
    }
    return new Promise((resolve) => {
      const leave = (result: PoolResult) => {
        const index = this.queue.indexOf(waiter);
        if (index < 0) return;
        this.queue.splice(index, 1);
        done();
        resolve(result);
        this.checkDrained();
      };
      const onAbort = () => leave({ ok: false, kind: "cancelled" });
      const timer = setTimeout(() => leave({ ok: false, kind: "timeout", running: false }), Math.max(0, deadlineAt - performance.now()));
      const done = () => {
        clearTimeout(timer);
        signal?.removeEventListener("abort", onAbort);
      };
      const waiter: Waiter = {
        take: (i) => {
          done();
          resolve(i);
        },
        leave,
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      this.queue.push(waiter);
    });
  }

  private release(instance: Instance): void {
    this.busy.delete(instance);
    if (this.closed) return void instance.stop();
    const waiter = this.queue.shift();
    if (waiter) {
      this.busy.add(instance);
      waiter.take(instance);
      return;
    }
    this.idle.push(instance);
    this.checkDrained();
  }

  private retire(instance: Instance, cause: RestartCause): void {
    this.busy.delete(instance);
    void instance.stop();
    this.events.instanceRestarted(cause);
    this.replace();
    this.checkDrained();
  }

  /** Background replacement up to the pool's size; a failing start is retried with backoff. */
  private replace(): void {
    if (this.closed || this.draining) return;
    if (this.idle.length + this.busy.size + this.starting >= this.sizing.size) return;
    this.startInstance().catch(async () => {
      await sleep(backoffMs(this.failedStarts, INSTANCE_BACKOFF_CEILING_MS));
      this.replace();
    });
  }

  private async startInstance(): Promise<void> {
    this.starting++;
    let instance: Instance;
    try {
      instance = await this.factory(() => this.onExit(instance));
    } catch (error) {
      this.starting--;
      this.failedStarts++;
      this.events.instanceStartFailed(error as Error);
      throw error;
    }
    this.starting--;
    this.failedStarts = 0;
    this.events.instanceStarted();
    if (this.closed || this.draining) return void instance.stop();
    this.release(instance);
  }

  /** An idle instance that died on its own (not stopped by the pool) is replaced. */
  private onExit(instance: Instance): void {
    const index = this.idle.indexOf(instance);
    if (index < 0) return;
    this.idle.splice(index, 1);
    this.events.instanceRestarted("crash");
    this.replace();
  }

  private checkDrained(): void {
    if (this.draining && this.busy.size === 0 && this.queue.length === 0) this.drained?.();
  }
}
