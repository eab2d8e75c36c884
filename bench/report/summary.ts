/** The headline figures and the targets, read out of the full results. */
type Latency = { p50_ms: number; p99_ms: number; p999_ms: number; max_ms: number; rejected_503?: number };

export interface Target {
  id: string;
  target: string;
  value: number | null;
  holds: boolean | null;
  note?: string;
}

const pick = ({ p50_ms, p99_ms, p999_ms, max_ms }: Latency) => ({ p50_ms, p99_ms, p999_ms, max_ms });
const round = (x: number, digits = 3) => (Number.isFinite(x) ? Math.round(x * 10 ** digits) / 10 ** digits : x);

// The results object is assembled by the scenarios; its shape is checked by test/bench.test.ts.
export function summarize(report: any) {
  const r = report.results;
  const spikyRun = r.spiky.capacity.by_contender as Record<string, Latency>;
  const overRun = r.spiky.over_capacity.by_contender as Record<string, Latency>;
  const over = r.overhead.by_contender as Record<string, Latency>;
  const vialExp = r.payload.identity.exponent_by_contender.vial as number;
  const jsRatio = r.compute?.compute?.guest_over_v8 ?? null;
  const py = r.compute_python as { compute?: { guest_over_cpython?: number }; reason?: string } | undefined;
  const pyRatio = py?.compute?.guest_over_cpython;

  const summary = {
    spiky: Object.fromEntries(Object.entries(spikyRun).map(([name, l]) => [name, pick(l)])),
    spiky_over_capacity: Object.fromEntries(Object.entries(overRun).map(([name, l]) => [name, { ...pick(l), rejected_503: l.rejected_503 ?? 0 }])),
    overhead: Object.fromEntries(["floor", "vial", "cold"].filter((n) => over[n]).map((n) => [n, { p50_ms: over[n]!.p50_ms, p99_ms: over[n]!.p99_ms, p999_ms: over[n]!.p999_ms }])),
    payload_exponent: vialExp,
    request_path_instantiations: report.request_path_instantiations as number | null,
    compute: {
      js_guest_over_v8: jsRatio,
      py_guest_over_cpython: pyRatio ?? null,
      ...(pyRatio === undefined ? { py_guest_over_cpython_reason: py?.reason ?? "the Python path was not run" } : {}),
    },
    python: pythonPair(spikyRun),
  };

  const v = spikyRun.vial!;
  const delta = over.vial && over.floor ? round(over.vial.p99_ms - over.floor.p99_ms) : NaN;
  const coldOverVial = over.cold && over.vial ? round(over.cold.p99_ms / over.vial.p99_ms, 1) : NaN;
  const tailRatio = round(v.p999_ms / v.p50_ms, 2);
  const targets: Target[] = [
    { id: "overhead_p99", target: "E: P99(vial) - P99(floor) <= 1 ms (identity, 100 rows)", value: delta, holds: delta <= 1 },
    { id: "spiky_tail", target: "B: P99.9 / P50 of vial <= 4 under spikes", value: tailRatio, holds: tailRatio <= 4 },
    {
      id: "request_path_instantiations",
      target: "zero request-path instantiations (host metrics, whole run)",
      value: summary.request_path_instantiations,
      holds: summary.request_path_instantiations === null ? null : summary.request_path_instantiations === 0,
    },
    { id: "cold_vs_vial", target: "E: P99(cold) >= 10x P99(vial)", value: coldOverVial, holds: coldOverVial >= 10 },
    { id: "payload_exponent", target: "C: payload exponent (vial, identity, 100..100,000 rows) <= 1.05", value: vialExp, holds: vialExp <= 1.05 },
    { id: "js_compute", target: "F: JS guest <= 10x V8 per row", value: jsRatio, holds: jsRatio === null ? null : jsRatio <= 10 },
    {
      id: "py_compute",
      target: "F: Python guest <= 2.2x CPython per row",
      value: summary.compute.py_guest_over_cpython,
      holds: summary.compute.py_guest_over_cpython === null ? null : summary.compute.py_guest_over_cpython <= 2.2,
      ...(summary.compute.py_guest_over_cpython === null ? { note: summary.compute.py_guest_over_cpython_reason } : {}),
    },
  ];
  return { ...summary, targets };
}

/** The Python pair under spikes: what the long-lived subprocesses cost relative to vial's Python environment. */
function pythonPair(spikyRun: Record<string, Latency>) {
  const sub = spikyRun.subprocess;
  const vp = spikyRun.vial_python;
  if (!sub || !vp) return null;
  return {
    subprocess_over_vial_python: { p50: round(sub.p50_ms / vp.p50_ms, 2), p99: round(sub.p99_ms / vp.p99_ms, 2), p999: round(sub.p999_ms / vp.p999_ms, 2) },
    vial_python_over_vial_js: spikyRun.vial ? { p50: round(vp.p50_ms / spikyRun.vial.p50_ms, 2), p99: round(vp.p99_ms / spikyRun.vial.p99_ms, 2) } : null,
  };
}
