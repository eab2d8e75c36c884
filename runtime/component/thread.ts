/**
 * One component instance as a pool sees it: a worker thread that is started,
 * runs one call at a time, and can be stopped mid-call by terminating it.
 * `script` is the thread's entry (worker.ts, bundled with the executor).
 */
import { Worker } from "node:worker_threads";
import type { CallOutcome, Instance } from "../instance.ts";
import type { CallReply, CallRequest, StartupMessage, WorkerSetup } from "./protocol.ts";

export class ComponentThread implements Instance {
  private calls = 0;
  private pending?: { id: number; resolve: (outcome: CallOutcome) => void; reject: (error: Error) => void };
  private exited = false;
  private lastError?: Error;

  private constructor(
    private readonly worker: Worker,
    exited: () => void,
  ) {
    worker.on("message", (reply: CallReply) => {
      const pending = this.pending;
      if (!pending || reply.id !== pending.id) return;
      this.pending = undefined;
      const { id: _id, ...outcome } = reply;
      pending.resolve(outcome);
    });
    // An uncaught error inside the thread ends it; "exit" below does the bookkeeping.
    worker.on("error", (error) => {
      this.lastError = error;
    });
    worker.on("exit", () => {
      this.exited = true;
      this.pending?.reject(this.lastError ?? new Error("the instance's thread exited during the call"));
      this.pending = undefined;
      exited();
    });
  }

  /** Resolves once the instance is instantiated and reseeded, ready for calls. */
  static start(script: string, setup: WorkerSetup, exited: () => void): Promise<ComponentThread> {
    const worker = new Worker(script, { workerData: setup, execArgv: [], stdout: false, stderr: false });
    return new Promise((resolve, reject) => {
      // Only our own listeners are removed: the Worker keeps internal ones on itself.
      const onError = (error: Error) => settle(error);
      const onExit = (code: number) => settle(new Error(`the instance's thread exited (code ${code}) before it was ready`));
      const onMessage = (msg: StartupMessage) => settle(msg.type === "ready" ? undefined : new Error(msg.message));
      const settle = (error?: Error) => {
        worker.off("error", onError).off("exit", onExit).off("message", onMessage);
        if (!error) return resolve(new ComponentThread(worker, exited));
        void worker.terminate();
        reject(error);
      };
      worker.on("error", onError).on("exit", onExit).on("message", onMessage);
    });
  }

  call(fn: string, batch: string): Promise<CallOutcome> {
    if (this.pending) return Promise.reject(new Error("an instance runs one call at a time"));
    if (this.exited) return Promise.reject(new Error("the instance's thread has exited"));
    const id = ++this.calls;
    return new Promise((resolve, reject) => {
      this.pending = { id, resolve, reject };
      this.worker.postMessage({ id, fn, batch } satisfies CallRequest);
    });
  }

  /** Stops the thread, even in the middle of a guest call that never returns. */
  async stop(): Promise<void> {
    if (this.exited) return;
    await this.worker.terminate();
  }
}
