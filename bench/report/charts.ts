/** Charts as SVG: vega-lite specs compiled to vega, rendered headless by vega's SVG renderer. */
import * as vega from "vega";
import { compile, type TopLevelSpec } from "vega-lite";

export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: "none" });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

export interface LatencyBar {
  contender: string;
  run: string;
  percentile: string;
  ms: number;
}

/** Grouped bars: P50 / P99 / P99.9 / max per contender, one panel per run, log scale. */
export function latencySpec(bars: LatencyBar[]): TopLevelSpec {
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    title: "Latency under spiky load (10-row fuzzy batches) and identity overhead (100 rows)",
    data: { values: bars },
    facet: { row: { field: "run", type: "nominal", title: null } },
    spec: {
      width: 520,
      height: 170,
      mark: { type: "bar", tooltip: true },
      encoding: {
        x: { field: "percentile", type: "nominal", sort: ["p50", "p99", "p99.9", "max"], title: null, axis: { labelAngle: 0 } },
        xOffset: { field: "contender", type: "nominal" },
        // Not stacked: vega-lite stacks bars by default, and a stack has no zero on a log scale.
        y: { field: "ms", type: "quantitative", scale: { type: "log" }, stack: null, title: "latency (ms, log)" },
        color: { field: "contender", type: "nominal" },
      },
    },
    resolve: { scale: { y: "independent" } },
  } as TopLevelSpec;
}

export interface PayloadPointRow {
  contender: string;
  transformation: string;
  rows: number;
  ms: number;
}

/** Time per request vs rows per batch, log-log (a slope of 1 is linear). */
export function payloadSpec(points: PayloadPointRow[]): TopLevelSpec {
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    title: "Payload scaling: P50 time per request vs rows per batch (log-log)",
    data: { values: points },
    facet: { column: { field: "transformation", type: "nominal", title: null } },
    spec: {
      width: 320,
      height: 260,
      mark: { type: "line", point: true, tooltip: true },
      encoding: {
        x: { field: "rows", type: "quantitative", scale: { type: "log" }, title: "rows per batch" },
        y: { field: "ms", type: "quantitative", scale: { type: "log" }, title: "P50 ms per request" },
        color: { field: "contender", type: "nominal" },
      },
    },
    resolve: { scale: { x: "independent" } },
  } as TopLevelSpec;
}
