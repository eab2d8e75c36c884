/** Writes latest.json (every figure + summary), latest.md and the two SVG charts. */
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { loadavg } from "node:os";
import { summarize } from "./summary.ts";
import { markdown } from "./markdown.ts";
import { latencySpec, payloadSpec, renderSvg, type LatencyBar, type PayloadPointRow } from "./charts.ts";

type Lat = { p50_ms: number; p99_ms: number; p999_ms: number; max_ms: number };

function bars(run: string, by: Record<string, Lat>): LatencyBar[] {
  return Object.entries(by).flatMap(([contender, l]) =>
    (
      [
        ["p50", l.p50_ms],
        ["p99", l.p99_ms],
        ["p99.9", l.p999_ms],
        ["max", l.max_ms],
      ] as const
    )
      .filter(([, ms]) => Number.isFinite(ms))
      .map(([percentile, ms]) => ({ contender, run, percentile, ms })),
  );
}

export async function writeReports(dir: string, report: any): Promise<void> {
  report.machine.loadavg_at_end = loadavg().map((l) => Math.round(l * 100) / 100);
  const summary = summarize(report);
  const full = { ...report, summary };
  await writeFile(join(dir, "latest.json"), JSON.stringify(full, null, 2) + "\n");
  await writeFile(join(dir, "latest.md"), markdown(report, summary));
  const r = report.results;
  const latency = [
    ...bars(`B spiky, bursts of ${r.spiky.capacity.burst} (10-row fuzzy)`, r.spiky.capacity.by_contender),
    ...bars(`B spiky, bursts of ${r.spiky.over_capacity.burst} (10-row fuzzy)`, r.spiky.over_capacity.by_contender),
    ...bars(`E overhead, bursts of ${r.overhead.burst} (100-row identity)`, r.overhead.by_contender),
  ];
  await writeFile(join(dir, "latency.svg"), await renderSvg(latencySpec(latency)));
  const points: PayloadPointRow[] = Object.entries(r.payload as Record<string, any>).flatMap(([transformation, curve]) =>
    Object.entries(curve.points as Record<string, Array<{ rows: number; p50_ms: number }>>).flatMap(([contender, pts]) =>
      pts.filter((p) => p.p50_ms > 0).map((p) => ({ contender, transformation, rows: p.rows, ms: p.p50_ms })),
    ),
  );
  await writeFile(join(dir, "payload.svg"), await renderSvg(payloadSpec(points)));
}
