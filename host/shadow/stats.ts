/**
 * A shadow version's record, per function: rows compared, matched and
 * mismatched, requests shed or failed, and the latest mismatched rows as
 * samples (a bounded number). The same counts go to /metrics.
 */
import type { Comparison } from "../../executor/protocol.ts";
import type { HostMetrics } from "../metrics.ts";

/** Mismatched rows kept per function: the latest ones. */
export const SAMPLES_KEPT = 10;

export interface FunctionShadowStats {
  compared: number;
  matched: number;
  mismatched: number;
  /** Requests not mirrored: the shadow's queue or byte budget was full. */
  shed: number;
  /** Mirrored requests the shadow did not answer: out of time or room, or its executor lost or stuck. */
  failed: number;
  samples: Comparison["samples"];
}

export class ShadowStats {
  private readonly byFunction = new Map<string, FunctionShadowStats>();

  constructor(
    private readonly env: string,
    private readonly version: string,
    private readonly metrics: HostMetrics,
  ) {}

  private of(fn: string): FunctionShadowStats {
    let stats = this.byFunction.get(fn);
    if (!stats) this.byFunction.set(fn, (stats = { compared: 0, matched: 0, mismatched: 0, shed: 0, failed: 0, samples: [] }));
    return stats;
  }

  private labels(fn: string) {
    return { env: this.env, function: fn, version: this.version };
  }

  record(fn: string, comparison: Comparison): void {
    const stats = this.of(fn);
    stats.compared += comparison.compared;
    stats.matched += comparison.matched;
    stats.mismatched += comparison.mismatched;
    stats.samples.push(...comparison.samples);
    stats.samples.splice(0, Math.max(0, stats.samples.length - SAMPLES_KEPT));
    const labels = this.labels(fn);
    this.metrics.shadow.compared.inc(labels, comparison.compared);
    this.metrics.shadow.matched.inc(labels, comparison.matched);
    this.metrics.shadow.mismatched.inc(labels, comparison.mismatched);
  }

  shed(fn: string): void {
    this.of(fn).shed++;
    this.metrics.shadow.shed.inc(this.labels(fn));
  }

  failed(fn: string): void {
    this.of(fn).failed++;
    this.metrics.shadow.failed.inc(this.labels(fn));
  }

  view(): Record<string, FunctionShadowStats> {
    return Object.fromEntries([...this.byFunction].map(([fn, stats]) => [fn, { ...stats, samples: [...stats.samples] }]));
  }
}
