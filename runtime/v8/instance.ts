/**
 * One isolate as a pool sees it, with its limits: a heap limit (isolated-vm
 * disposes the isolate when a call cannot fit in it), an output limit, and a
 * stop that terminates a running call by disposing the isolate. An isolate
 * that does not let go of its thread after that is beyond saving in-process:
 * `unyielding` is told, and the owner ends the process.
 */
import { GuestCallError, freshEntropy } from "../guest.ts";
import type { CallOutcome, Instance, InstanceLimits } from "../instance.ts";
import { ResultTooLong, startIsolate, type IsolateGuest } from "./isolate.ts";
import { rowRanOutOfMemory } from "../out-of-memory.ts";
import { cut, MAX_ERROR_CHARS } from "../guest-output.ts";

/** How long a disposed isolate may keep its thread before the process is given up. */
const YIELD_GRACE_MS = 2000;
/**
 * A heap this large after a call (a quarter of the limit, at least 64 MiB) is
 * not kept: V8 does not give grown heaps back, so an isolate that served one
 * huge batch would hold that memory for good. It is replaced instead.
 */
const recycleAbove = (limitBytes: number) => Math.max(64 * 2 ** 20, limitBytes / 4);
/**
 * Reading the heap enters the isolate from the executor's thread, about 25 µs there: a fifth of what a 10-row call
 * costs that thread, and a wait on its event loop. So it is read after a call that moved at least LARGE_CALL_CHARS
 * (a batch or result that large grows a heap by megabytes at once, and the read is under 1% of such a call), and
 * otherwise once every HEAP_CHECK_INTERVAL calls, which is soon enough for what small calls leave behind.
 */
const LARGE_CALL_CHARS = 256 * 2 ** 10;
export const HEAP_CHECK_INTERVAL = 64;
/** V8's words for an allocation its isolate's limit refused (the heap itself running out disposes the isolate). */
const OUT_OF_MEMORY = /Array buffer allocation failed|\bout of memory\b/i;

export interface IsolateInstanceOptions extends InstanceLimits {
  onCatastrophicError?: (message: string) => void;
  unyielding?: () => void;
}

export class IsolateInstance implements Instance {
  private running?: Promise<unknown>;
  private callsSinceHeapCheck = 0;

  private constructor(
    private readonly guest: IsolateGuest,
    private readonly opts: IsolateInstanceOptions,
  ) {}

  static async start(bundle: string, opts: IsolateInstanceOptions): Promise<IsolateInstance> {
    const guest = await startIsolate(bundle, opts);
    await guest.reseed(freshEntropy());
    return new IsolateInstance(guest, opts);
  }

  async call(fn: string, batch: string): Promise<CallOutcome> {
    const running = this.guest.call(fn, batch);
    this.running = running.catch(() => undefined);
    try {
      const envelope = await running;
      if (rowRanOutOfMemory(envelope, OUT_OF_MEMORY)) return { ok: false, kind: "memory", message: "a row ran out of memory" };
      const bytes = Buffer.byteLength(envelope);
      if (bytes > this.opts.outputLimitBytes) return { ok: false, kind: "output", bytes };
      return this.heapGrown(batch.length + envelope.length) ? { ok: true, envelope, recycle: true } : { ok: true, envelope };
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      if (error instanceof GuestCallError) return { ok: false, kind: "guest", message };
      if (error instanceof ResultTooLong) return { ok: false, kind: "output", bytes: error.chars };
      // isolated-vm disposes an isolate whose heap cannot be kept under its limit.
      if (this.guest.isolate.isDisposed && /memory limit/i.test(message)) return { ok: false, kind: "memory", message: "the isolate ran out of memory" };
      return { ok: false, kind: "trap", message: cut(message, MAX_ERROR_CHARS) };
    } finally {
      this.running = undefined;
    }
  }

  /** Whether the heap is past what an idle instance should hold, when it is time to look (LARGE_CALL_CHARS). */
  private heapGrown(callChars: number): boolean {
    if (++this.callsSinceHeapCheck < HEAP_CHECK_INTERVAL && callChars < LARGE_CALL_CHARS) return false;
    this.callsSinceHeapCheck = 0;
    return this.guest.heapBytes() > recycleAbove(this.opts.memoryLimitBytes);
  }

  collectGarbage(): Promise<void> {
    return this.guest.collectGarbage();
  }

  async stop(): Promise<void> {
    const running = this.running;
    this.guest.dispose();
    if (!running) return;
    let timer: NodeJS.Timeout | undefined;
    const yielded = await Promise.race([running.then(() => true), new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), YIELD_GRACE_MS)))]);
    clearTimeout(timer);
    if (!yielded) this.opts.unyielding?.();
  }
}
