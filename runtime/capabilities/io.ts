// wasi:io/{error,poll,streams}. Streams are in-memory: an empty, closed stdin
// and bounded line-wise sinks for stdout/stderr; nothing ever waits.
import { WasiError } from "./errors.js";

export class IoError {
  constructor(private readonly message: string) {}
  toDebugString(): string {
    return this.message;
  }
}

/**
 * Always ready: streams are in memory, and a clock pollable is ready at once
 * (clocks.ts: time never passes for a guest, so no wait takes any).
 */
export class Pollable {
  ready(): boolean {
    return true;
  }
  block(): void {}
}

export function poll(list: Pollable[]): Uint32Array {
  if (list.length === 0) throw new Error("poll: empty list");
  return Uint32Array.from(list.keys());
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
