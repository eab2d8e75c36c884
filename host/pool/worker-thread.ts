/**
 * One guest instance as the pool sees it: a worker thread that is started,
 * runs one call at a time, and can be stopped mid-call.
 */
import { Worker } from "node:worker_threads";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import type { CallOutcome, CallReply, CallRequest, StartupMessage, WorkerSetup } from "./protocol.ts";

/**
 * The worker is TypeScript, loaded through tsx's require hook: on Node 20 a
 * worker ignores ESM loader hooks given in `execArgv` (nodejs/node#47747),
 * while a require hook installed inside the thread works under the CLI and
 * under test runners alike.
 */
const WORKER_BOOTSTRAP = [
  `require(${JSON.stringify(createRequire(import.meta.url).resolve("tsx/cjs/api"))}).register();`,
  `require(${JSON.stringify(fileURLToPath(new URL("./worker.ts", import.meta.url)))});`,
].join("\n");

export type { CallOutcome };

let nextId = 1;

export class WorkerThread {
  readonly id = nextId++;
  private calls = 0;
  private pending?: { id: number; resolve: (outcome: CallOutcome) => void; reject: (error: Error) => void };
  private exited = false;
  lastError?: Error;

  private constructor(
    private readonly worker: Worker,
    private readonly onExit: (thread: WorkerThread) => void,
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
      this.pending?.reject(new Error("the instance's thread exited during the call"));
      this.pending = undefined;
      this.onExit(this);
    });
  }

  /** Resolves once the instance is instantiated and reseeded, ready for calls. */
  static start(setup: WorkerSetup, onExitAfterReady: (thread: WorkerThread) => void): Promise<WorkerThread> {
    const worker = new Worker(WORKER_BOOTSTRAP, { eval: true, workerData: setup, execArgv: [], stdout: false, stderr: false });
    return new Promise((resolve, reject) => {
      // Only our own listeners are removed: the Worker keeps internal ones on itself.
      const onError = (error: Error) => settle(error);
      const onExit = (code: number) => settle(new Error(`the instance's thread exited (code ${code}) before it was ready`));
      const onMessage = (msg: StartupMessage) => settle(msg.type === "ready" ? undefined : new Error(msg.message));
      const settle = (error?: Error) => {
        worker.off("error", onError).off("exit", onExit).off("message", onMessage);
        if (!error) return resolve(new WorkerThread(worker, onExitAfterReady));
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
