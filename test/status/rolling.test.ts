/** The status page's rolling window: counts, rates and percentiles per 10 s bucket, and buckets that age out. */
import { describe, expect, it } from "vitest";
import { BUCKETS, BUCKET_MS, RecentActivity } from "../../host/status/rolling.ts";

describe("recent activity", () => {
  it("reads percentiles within a bucket's width, rates over the window, and lets old buckets go", () => {
    let now = 1_000_000 * BUCKET_MS;
    const activity = new RecentActivity(() => now);
    // 100 calls of 1..100 ms: p50 ~ 50, p90 ~ 90, p99 ~ 99, each read off geometric buckets 25% wide.
    for (let ms = 1; ms <= 100; ms++) activity.record("env", "fn", ms, ms > 95);
    now += BUCKET_MS / 2;
    const summary = activity.summary("env", "fn", 60_000);
    expect(summary.count).toBe(100);
    expect(summary.failed).toBe(5);
    for (const [value, q] of [
      [summary.p50Ms, 50],
      [summary.p90Ms, 90],
      [summary.p99Ms, 99],
    ] as const) {
      expect(value).toBeGreaterThanOrEqual(q);
      expect(value).toBeLessThanOrEqual(q * 1.25);
    }
    expect(summary.perSecond).toBeCloseTo(100 / 55, 1);
    const series = activity.series("env", "fn");
    expect(series).toHaveLength(BUCKETS);
    expect(series.at(-1)!.count).toBe(100);
    expect(series.slice(0, -1).every((p) => p.count === 0)).toBe(true);

    now += 6 * BUCKET_MS;
    expect(activity.summary("env", "fn", 60_000).count).toBe(0);
    expect(activity.summary("env", "fn", 300_000).count).toBe(100);
    now += BUCKETS * BUCKET_MS;
    activity.record("env", "fn", 3, false);
    expect(activity.summary("env", "fn", 300_000)).toMatchObject({ count: 1, failed: 0 });
    expect(activity.summary("env", "other").count).toBe(0);
  });
});
