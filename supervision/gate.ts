/**
 * How many calls an environment version takes, and in what order they reach
 * its executor: at most `instances + maxQueue` are admitted at all (reading
 * their bodies, waiting, or running), at most `instances × callsPerInstance`
 * are at the executor at once. More than one per instance keeps the next
 * call decoded and waiting in the executor when an instance finishes one,
 * so the round trip between the processes does not leave instances idle;
 * only small calls go ahead like that (for a large batch the round trip is
 * noise, and a decoded batch waiting beside each running one would double
 * what the executor holds). A waiting call leaves the line at its deadline,
 * or as soon as its caller is gone: it never reaches the executor.
 */

export type SlotOutcome = "ready" | "timeout" | "cancelled";

interface Waiter {
  /** How many calls may be at the executor for this one to join them. */
  limit: number;
  resolve(outcome: SlotOutcome): void;
}

export interface GateState {
  admitted: number;
  running: number;
  queued: number;
}

export class Gate {
  private admitted = 0;
  private running = 0;
  private readonly line: Waiter[] = [];
  private readonly slots: number;
  private emptied?: () => void;

  constructor(
    private readonly instances: number,
    private readonly maxQueue: number,
    callsPerInstance = 1,
  ) {
    this.slots = instances * callsPerInstance;
  }

  /** A place for one more call, or undefined when the environment holds as many as it may. */
  admit(): Ticket | undefined {
    if (this.admitted >= this.instances + this.maxQueue) return undefined;
    this.admitted++;
    return new Ticket(this);
  }

  /** Resolves once every admitted call has finished. */
  idle(): Promise<void> {
    if (this.admitted === 0) return Promise.resolve();
    return new Promise((resolve) => (this.emptied = resolve));
  }

  state(): GateState {
    return { admitted: this.admitted, running: this.running, queued: this.line.length };
  }

  /** @internal */
  wait(deadlineAt: number, signal: AbortSignal | undefined, small: boolean): Promise<SlotOutcome> {
    if (signal?.aborted) return Promise.resolve("cancelled");
    const limit = small ? this.slots : this.instances;
    if (this.running < limit && this.line.length === 0) {
      this.running++;
      return Promise.resolve("ready");
    }
    return new Promise((resolve) => {
      const leave = (outcome: SlotOutcome) => {
        const index = this.line.indexOf(waiter);
        if (index < 0) return;
        this.line.splice(index, 1);
        clearTimeout(timer);
        signal?.removeEventListener("abort", onAbort);
        resolve(outcome);
      };
      const onAbort = () => leave("cancelled");
      const timer = setTimeout(() => leave("timeout"), Math.max(0, deadlineAt - performance.now()));
      const waiter: Waiter = {
        limit,
        resolve: (outcome) => {
          clearTimeout(timer);
          signal?.removeEventListener("abort", onAbort);
          resolve(outcome);
        },
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      this.line.push(waiter);
    });
  }

  /** @internal */
  leave(ran: boolean): void {
    this.admitted--;
    if (this.admitted === 0) this.emptied?.();
    if (!ran) return;
    this.running--;
    // In order: a large call at the head waits for a free instance, and the calls behind it with it.
    while (this.line.length > 0 && this.running < this.line[0]!.limit) {
      this.running++;
      this.line.shift()!.resolve("ready");
    }
  }
}

/** One admitted call: take a slot when the body is in, then give everything back once. */
export class Ticket {
  private ran = false;
  private done = false;

  constructor(private readonly gate: Gate) {}

  /**
   * Waits for a free slot until `deadlineAt` (performance.now() ms) or until
   * `signal` says the caller is gone; `small` calls may queue in the executor.
   */
  async slot(deadlineAt: number, signal?: AbortSignal, small = true): Promise<SlotOutcome> {
    const outcome = await this.gate.wait(deadlineAt, signal, small);
    if (outcome === "ready") this.ran = true;
    return outcome;
  }

  release(): void {
    if (this.done) return;
    this.done = true;
    this.gate.leave(this.ran);
  }
}
