/** Timing helpers shared by the benchmarks: HDR histograms in microseconds. */
import * as hdr from "hdr-histogram-js";
import { cpus } from "node:os";

// Captured at load: the guest globals (loaded natively by bench/engines/native.ts) freeze performance.now.
const now = performance.now.bind(performance);

export interface Stats {
  iterations: number;
  medianUs: number;
  p99Us: number;
  meanUs: number;
}

export interface Budget {
  /** Stop after this long (warm-up excluded)... */
  ms: number;
  /** ...or this many iterations, whichever comes first, but never before minIterations. */
  maxIterations: number;
  minIterations: number;
  warmup: number;
}

/** Runs `fn` under a time budget; `fn` may time sub-phases itself through `phase`. */
export function measure(fn: () => void, budget: Budget): Stats {
  for (let i = 0; i < budget.warmup; i++) fn();
  const h = hdr.build({ numberOfSignificantValueDigits: 3 });
  const start = now();
  let total = 0;
  let n = 0;
  while (n < budget.minIterations || (n < budget.maxIterations && now() - start < budget.ms)) {
    const t0 = now();
    fn();
    const us = (now() - t0) * 1000;
    h.recordValue(Math.max(1, Math.round(us)));
    total += us;
    n++;
  }
  const stats = { iterations: n, medianUs: h.getValueAtPercentile(50), p99Us: h.getValueAtPercentile(99), meanUs: round(total / n) };
  h.destroy();
  return stats;
}

export const round = (x: number, digits = 1) => Math.round(x * 10 ** digits) / 10 ** digits;

export function machine() {
  return {
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model,
    node: process.version,
    v8: process.versions.v8,
    platform: `${process.platform}-${process.arch}`,
    note: "shared 2-core machine: compare ratios, not absolute times",
  };
}

/** A plain markdown table (for the console and docs/design.md). */
export function table(header: string[], rows: Array<Array<string | number>>): string {
  const lines = [header, header.map(() => "---"), ...rows.map((r) => r.map(String))];
  return lines.map((l) => `| ${l.join(" | ")} |`).join("\n");
}
