/**
 * Buffers for large request bodies, made before they are needed. A large
 * body in a buffer allocated as it arrives is megabytes of fresh memory
 * mapped and faulted in on the host's event loop, and counted by V8 as
 * young while it lives: past 32 MiB of young buffers V8 collects its young
 * generation before every new one, down to each 64 KiB socket read. Under a
 * flood of 7 MiB bodies that kept the loop busy for up to 200 ms at a time
 * and /healthz waited up to 115 ms. Here a set of buffers, enough for the
 * host's byte budget of the largest bodies, is made ahead of time: a buffer
 * never written is address space only, and by the time a flood comes V8
 * counts them as old. Once no large body has come or gone for `idleMs`, a
 * set that was written to is renewed: the written buffers go, with their
 * memory, and `letGo` is told how many bytes were written.
 */

/** A body's buffer, lent until `release`: nothing may touch `body` after it. */
export interface BodyLease {
  body: Buffer;
  release(): void;
}

const MiB = 2 ** 20;
/** Smaller bodies take a buffer of their own, as before: they are cheap and many. */
export const POOLED_FROM_BYTES = MiB;
const IDLE_MS = 2_000;

export class BodyBuffers {
  private free: Buffer[] = [];
  /** Bytes written into lent buffers since the set was made. */
  private written = 0;
  private idle?: NodeJS.Timeout;

  /** `count` buffers of `bufferBytes` each (the largest body). */
  constructor(
    private readonly count: number,
    private readonly bufferBytes: number,
    private readonly letGo: (writtenBytes: number) => void = () => undefined,
    private readonly idleMs = IDLE_MS,
  ) {
    this.renew();
  }

  /** A buffer of exactly `bytes`: one of the set, or, when all are lent, one made now. */
  take(bytes: number): BodyLease {
    const buffer = (bytes <= this.bufferBytes && this.free.pop()) || Buffer.allocUnsafeSlow(Math.max(bytes, this.bufferBytes));
    this.written += bytes;
    this.renewWhenIdle();
    let lent = true;
    return {
      body: buffer.subarray(0, bytes),
      release: () => {
        if (!lent) return;
        lent = false;
        if (this.free.length < this.count && buffer.byteLength === this.bufferBytes) this.free.push(buffer);
        this.renewWhenIdle();
      },
    };
  }

  /** Bytes in buffers ready to be lent. */
  freeBytes(): number {
    return this.free.length * this.bufferBytes;
  }

  private renew(): void {
    this.free = Array.from({ length: this.count }, () => Buffer.allocUnsafeSlow(this.bufferBytes));
  }

  private renewWhenIdle(): void {
    clearTimeout(this.idle);
    this.idle = setTimeout(() => {
      if (this.written === 0) return;
      const written = this.written;
      this.written = 0;
      this.renew();
      this.letGo(written);
    }, this.idleMs).unref();
  }
}
