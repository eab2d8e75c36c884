/**
 * Reused buffers for large request bodies. A large body in a buffer of its
 * own is megabytes of fresh memory each time: mapped, faulted in and
 * unmapped on the host's event loop, and counted by V8 as young while it
 * lives (past 32 MiB of young buffers V8 collects its young generation
 * before every new one, down to each 64 KiB socket read). Under a flood of
 * 7 MiB bodies that kept the loop busy for up to 200 ms at a time and
 * /healthz waited up to 115 ms. A reused buffer is old after its first
 * collections and its pages stay mapped. Free buffers hold at most the
 * host's byte budget, and are let go `idleMs` after the last was taken or
 * given back, so the memory returns once a flood is over.
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
  /** Free buffers by size (whole MiB). */
  private readonly free = new Map<number, Buffer[]>();
  private idle?: NodeJS.Timeout;

  /**
   * `maxFreeBytes`: what free buffers may hold at most (the host's byte
   * budget): one given back past it is dropped. `letGo`: told how many
   * bytes of free buffers were let go (the host collects its garbage after
   * many, so their memory goes back now).
   */
  constructor(
    private readonly maxFreeBytes: number,
    private readonly letGo: (bytes: number) => void = () => undefined,
    private readonly idleMs = IDLE_MS,
  ) {}

  /** A buffer of exactly `bytes` (at least POOLED_FROM_BYTES), reused when one of its size is free. */
  take(bytes: number): BodyLease {
    const size = Math.ceil(bytes / MiB) * MiB;
    const buffer = this.free.get(size)?.pop() ?? Buffer.allocUnsafeSlow(size);
    this.letGoWhenIdle();
    let lent = true;
    return {
      body: buffer.subarray(0, bytes),
      release: () => {
        if (!lent) return;
        lent = false;
        if (this.freeBytes() + size > this.maxFreeBytes) return;
        const free = this.free.get(size) ?? [];
        free.push(buffer);
        this.free.set(size, free);
        this.letGoWhenIdle();
      },
    };
  }

  /** Bytes held in free buffers. */
  freeBytes(): number {
    let bytes = 0;
    for (const [size, buffers] of this.free) bytes += size * buffers.length;
    return bytes;
  }

  private letGoWhenIdle(): void {
    clearTimeout(this.idle);
    this.idle = setTimeout(() => {
      const bytes = this.freeBytes();
      if (bytes === 0) return;
      this.free.clear();
      this.letGo(bytes);
    }, this.idleMs).unref();
  }
}
