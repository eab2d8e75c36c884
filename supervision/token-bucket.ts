/** A token bucket: `ratePerSecond` tokens come back each second, up to `burst`; what finds none is counted as dropped. */
export class TokenBucket {
  private tokens: number;
  private at = performance.now();
  /** Taken from an empty bucket since `drained()` was last asked. */
  private dropped = 0;

  constructor(
    private readonly ratePerSecond: number,
    private readonly burst: number,
  ) {
    this.tokens = burst;
  }

  take(): boolean {
    const now = performance.now();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.at) / 1000) * this.ratePerSecond);
    this.at = now;
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return true;
    }
    this.dropped++;
    return false;
  }

  /** How many were dropped since the last time this was asked (then zero). */
  drained(): number {
    const dropped = this.dropped;
    this.dropped = 0;
    return dropped;
  }
}
