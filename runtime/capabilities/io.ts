// wasi:io/{error,poll,streams}. Streams are in-memory: an empty, closed stdin
// and bounded line-wise sinks for stdout/stderr.
import { WasiError } from "./errors.js";

export class IoError {
  constructor(private readonly message: string) {}
  toDebugString(): string {
    return this.message;
  }
}

/** Ready at once, or at a monotonic deadline (ns, process.hrtime clock). */
export class Pollable {
  constructor(readonly deadline?: bigint) {}
  ready(): boolean {
    return this.deadline === undefined || process.hrtime.bigint() >= this.deadline;
  }
  block(): void {
    if (this.deadline !== undefined) sleepUntil(this.deadline);
  }
}

// Synchronous sleep: guest code is synchronous, so a sleeping guest blocks its
// thread (the host runs guests off the main event loop).
const sleeper = new Int32Array(new SharedArrayBuffer(4));
function sleepUntil(deadline: bigint): void {
  for (;;) {
    const left = deadline - process.hrtime.bigint();
    if (left <= 0n) return;
    Atomics.wait(sleeper, 0, 0, Number(left / 1_000_000n) + 1);
  }
}

export function poll(list: Pollable[]): Uint32Array {
  if (list.length === 0) throw new Error("poll: empty list");
  let ready = list.flatMap((p, i) => (p.ready() ? [i] : []));
  if (ready.length === 0) {
    const next = list.reduce((a, p) => (p.deadline! < a ? p.deadline! : a), list[0].deadline!);
    sleepUntil(next);
    ready = list.flatMap((p, i) => (p.ready() ? [i] : []));
  }
  return Uint32Array.from(ready);
}

const closed = () => new WasiError({ tag: "closed" });

/** stdin: nothing to read, ever. */
export class InputStream {
  read(_len: bigint): Uint8Array {
    throw closed();
  }
  blockingRead(_len: bigint): Uint8Array {
    throw closed();
  }
  skip(_len: bigint): bigint {
    throw closed();
  }
  blockingSkip(_len: bigint): bigint {
    throw closed();
  }
  subscribe(): Pollable {
    return new Pollable();
  }
}

export interface SinkLimits {
  /** Longest line passed on; longer lines are cut. */
  maxLine: number;
  /** Total bytes accepted per stream; the rest is dropped with one notice. */
  maxBytes: number;
}

export const DEFAULT_SINK_LIMITS: SinkLimits = { maxLine: 8 * 1024, maxBytes: 1024 * 1024 };

/** Output stream that hands complete lines to a callback, within limits. */
export class OutputStream {
  private pending = "";
  private total = 0;
  private readonly decoder = new TextDecoder();

  constructor(
    private readonly onLine: ((line: string) => void) | undefined,
    private readonly limits: SinkLimits = DEFAULT_SINK_LIMITS,
  ) {}

  checkWrite(): bigint {
    return 65536n;
  }
  write(contents: Uint8Array): void {
    if (this.total >= this.limits.maxBytes) return;
    this.total += contents.length;
    this.pending += this.decoder.decode(contents, { stream: true });
    let nl: number;
    while ((nl = this.pending.indexOf("\n")) >= 0) {
      this.emit(this.pending.slice(0, nl));
      this.pending = this.pending.slice(nl + 1);
    }
    if (this.pending.length > this.limits.maxLine) {
      this.emit(this.pending);
      this.pending = "";
    }
    if (this.total >= this.limits.maxBytes) {
      this.flushPending();
      this.onLine?.("[output truncated]");
    }
  }
  blockingWriteAndFlush(contents: Uint8Array): void {
    this.write(contents);
  }
  // Flushing does not force out a partial line: lines are the unit we deliver.
  flush(): void {}
  blockingFlush(): void {}
  writeZeroes(len: bigint): void {
    this.write(new Uint8Array(Number(len)));
  }
  blockingWriteZeroesAndFlush(len: bigint): void {
    this.writeZeroes(len);
  }
  subscribe(): Pollable {
    return new Pollable();
  }
  /** Delivers a trailing partial line (call when the instance is done). */
  flushPending(): void {
    if (this.pending) this.emit(this.pending);
    this.pending = "";
  }
  private emit(line: string): void {
    this.onLine?.(line.length > this.limits.maxLine ? `${line.slice(0, this.limits.maxLine)}…` : line);
  }
}

export function ioImports() {
  return {
    "wasi:io/error": { Error: IoError },
    "wasi:io/poll": { Pollable, poll },
    "wasi:io/streams": { InputStream, OutputStream },
  };
}
