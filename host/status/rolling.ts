/**
 * The last few minutes of each function's calls, for the status page: a
 * ring of 10-second buckets per function, each with its count, its failures
 * and a latency histogram (geometric bounds, 25% apart), from which rates
 * and percentiles over any recent window are read without keeping samples.
 */
export const BUCKET_MS = 10_000;
export const BUCKETS = 30;

/** Upper bounds in ms: 0.1 ms to ~60 s, 25% apart (a percentile is off by at most that). */
const BOUNDS_MS: number[] = [];
for (let bound = 0.1; bound < 60_000; bound *= 1.25) BOUNDS_MS.push(bound);
BOUNDS_MS.push(Infinity);

interface Bucket {
  /** Which 10 s this bucket holds (time / BUCKET_MS), or -1 when empty. */
  slot: number;
  count: number;
  failed: number;
  histogram: Uint32Array;
}

export interface WindowSummary {
  count: number;
  failed: number;
  perSecond: number;
  p50Ms: number | null;
  p90Ms: number | null;
  p99Ms: number | null;
}

export interface SeriesPoint {
  /** Start of the bucket, ms since the epoch. */
  at: number;
  count: number;
  failed: number;
  p50Ms: number | null;
  p99Ms: number | null;
}

function percentile(histogram: Uint32Array, count: number, q: number): number | null {
  if (count === 0) return null;
  const rank = Math.ceil(q * count);
  let seen = 0;
  for (let i = 0; i < histogram.length; i++) {
    seen += histogram[i]!;
    if (seen >= rank) return Math.round(Math.min(BOUNDS_MS[i]!, BOUNDS_MS[BOUNDS_MS.length - 2]!) * 100) / 100;
  }
  return null;
}

class FunctionActivity {
  private readonly ring: Bucket[] = Array.from({ length: BUCKETS }, () => ({ slot: -1, count: 0, failed: 0, histogram: new Uint32Array(BOUNDS_MS.length) }));

  record(now: number, ms: number, failed: boolean): void {
    const slot = Math.floor(now / BUCKET_MS);
    const bucket = this.ring[slot % BUCKETS]!;
    if (bucket.slot !== slot) {
      bucket.slot = slot;
      bucket.count = bucket.failed = 0;
      bucket.histogram.fill(0);
    }
    bucket.count++;
    if (failed) bucket.failed++;
    let i = 0;
    while (ms > BOUNDS_MS[i]!) i++;
    bucket.histogram[i]!++;
  }

  /** The buckets of the last `buckets` slots up to now, oldest first (empty ones included). */
  private recent(now: number, buckets: number): Array<{ slot: number; bucket?: Bucket }> {
    const last = Math.floor(now / BUCKET_MS);
    return Array.from({ length: buckets }, (_, k) => {
      const slot = last - buckets + 1 + k;
      const bucket = this.ring[slot % BUCKETS]!;
      return { slot, bucket: bucket.slot === slot ? bucket : undefined };
    });
  }

  summary(now: number, windowMs: number): WindowSummary {
    const buckets = Math.max(1, Math.min(BUCKETS, Math.ceil(windowMs / BUCKET_MS)));
    const histogram = new Uint32Array(BOUNDS_MS.length);
    let count = 0;
    let failed = 0;
    for (const { bucket } of this.recent(now, buckets)) {
      if (!bucket) continue;
      count += bucket.count;
      failed += bucket.failed;
      bucket.histogram.forEach((n, i) => (histogram[i]! += n));
    }
    // The current bucket is only partly over: the rate counts the time that has passed.
    const seconds = ((buckets - 1) * BUCKET_MS + (now % BUCKET_MS)) / 1000;
    return { count, failed, perSecond: Math.round((count / Math.max(seconds, 1)) * 100) / 100, p50Ms: percentile(histogram, count, 0.5), p90Ms: percentile(histogram, count, 0.9), p99Ms: percentile(histogram, count, 0.99) };
  }

  series(now: number): SeriesPoint[] {
    return this.recent(now, BUCKETS).map(({ slot, bucket }) => ({
      at: slot * BUCKET_MS,
      count: bucket?.count ?? 0,
      failed: bucket?.failed ?? 0,
      p50Ms: bucket ? percentile(bucket.histogram, bucket.count, 0.5) : null,
      p99Ms: bucket ? percentile(bucket.histogram, bucket.count, 0.99) : null,
    }));
  }
}

export class RecentActivity {
  private readonly functions = new Map<string, FunctionActivity>();

  constructor(private readonly clock: () => number = Date.now) {}

  /** One call of `env/fn` that took `ms`; `failed` when it was not answered 200. */
  record(env: string, fn: string, ms: number, failed: boolean): void {
    const key = `${env}/${fn}`;
    let activity = this.functions.get(key);
    if (!activity) this.functions.set(key, (activity = new FunctionActivity()));
    activity.record(this.clock(), ms, failed);
  }

  summary(env: string, fn: string, windowMs = 60_000): WindowSummary {
    return this.functions.get(`${env}/${fn}`)?.summary(this.clock(), windowMs) ?? { count: 0, failed: 0, perSecond: 0, p50Ms: null, p90Ms: null, p99Ms: null };
  }

  series(env: string, fn: string): SeriesPoint[] {
    return (this.functions.get(`${env}/${fn}`) ?? new FunctionActivity()).series(this.clock());
  }
}
