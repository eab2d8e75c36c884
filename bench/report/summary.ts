/** The headline figures and the targets, read out of the full results. */
type Latency = { p50_ms: number; p99_ms: number; p999_ms: number; max_ms: number; rejected_503?: number; throughput_rps?: number };

export interface Target {
  id: string;
  target: string;
  value: number | null;
  holds: boolean | null;
  note?: string;
}

/** vial serving the Python example is no slower than the native subprocess design it replaces: subprocess ÷ vial_python P50. */
const SUBPROCESS_OVER_VIAL_PYTHON = 1.0;
/** The Python path's fixed cost of a call (1-row identity, P50) over the JS path's, in the same run. */
const PYTHON_FIXED_OVER_JS_MS = 0.5;
const MAX_RESIDENT_MIB = 400;
const OVERLOAD_RESIDENT_MIB = 1024;
/**
 * "Returns near its starting value": host and executors after the flood over
 * before it. What stays: the host's malloc heap (up to 45 MiB it cannot give
 * back while anything lives above it), and the other environment's own warm-up.
 */
const SETTLED_OVER_START = 1.25;

const pick = ({ p50_ms, p99_ms, p999_ms, max_ms }: Latency) => ({ p50_ms, p99_ms, p999_ms, max_ms });
const round = (x: number, digits = 3) => (Number.isFinite(x) ? Math.round(x * 10 ** digits) / 10 ** digits : x);
const at = (value: number, holds: (v: number) => boolean) => ({ value: Number.isFinite(value) ? value : null, holds: Number.isFinite(value) ? holds(value) : null });

// The results object is assembled by the scenarios; its shape is checked by test/bench.test.ts.
export function summarize(report: any) {
  const r = report.results;
  const spikyRun = r.spiky.capacity.by_contender as Record<string, Latency>;
  const overRun = r.spiky.over_capacity.by_contender as Record<string, Latency>;
  const over = r.overhead.by_contender as Record<string, Latency>;
  const steady = r.steady.by_concurrency as Record<string, Record<string, Latency>>;
  const vialExp = r.payload.identity.exponent_by_contender.vial as number;
  const jsRatio = r.compute?.compute?.guest_over_v8 ?? null;
  const wasmRatio = r.compute?.compute?.wasm_over_v8 ?? null;
  const py = r.compute_python as { compute?: { guest_over_cpython?: number }; reason?: string } | undefined;
  const pyRatio = py?.compute?.guest_over_cpython;
  const memory = r.footprint?.host_and_executors as { rss_mib: number; pss_mib: number } | undefined;
  const flood = r.overload as Overload | undefined;
  const cpu = Object.fromEntries(((r.cpu?.by_contender ?? []) as Array<{ name: string; req_per_s: number; server_us_per_request: number }>).map((c) => [c.name, c]));

  const summary = {
    spiky: Object.fromEntries(Object.entries(spikyRun).map(([name, l]) => [name, pick(l)])),
    spiky_over_capacity: Object.fromEntries(Object.entries(overRun).map(([name, l]) => [name, { ...pick(l), rejected_503: l.rejected_503 ?? 0 }])),
    overhead: Object.fromEntries(["floor", "vial", "vial_direct", "vial_wasm", "cold"].filter((n) => over[n]).map((n) => [n, { p50_ms: over[n]!.p50_ms, p99_ms: over[n]!.p99_ms, p999_ms: over[n]!.p999_ms }])),
    throughput_rps: Object.fromEntries(Object.entries(steady).map(([level, by]) => [level, Object.fromEntries(Object.entries(by).map(([name, l]) => [name, l.throughput_rps ?? null]))])),
    payload_exponent: vialExp,
    request_path_instantiations: report.request_path_instantiations as number | null,
    compute: {
      js_guest_over_v8: jsRatio,
      js_wasm_guest_over_v8: wasmRatio,
      py_guest_over_cpython: pyRatio ?? null,
      py_kinds_over_cpython: pythonKinds(r.compute_python_kinds),
      ...(pyRatio === undefined ? { py_guest_over_cpython_reason: py?.reason ?? "the Python path was not run" } : {}),
    },
    python: pythonPair(spikyRun, steady.c1, r.payload),
    resident_mib: memory ? { host_and_executors_rss: memory.rss_mib, host_and_executors_pss: memory.pss_mib } : null,
    overload: flood ? overloadSummary(flood) : null,
    cpu_us_per_request: Object.fromEntries(Object.entries(cpu).map(([name, c]) => [name, { server: c.server_us_per_request, req_per_s: c.req_per_s }])),
  };

  const capacity = report.capacity as number;
  const v = spikyRun.vial!;
  const iso = spikyRun.isolates;
  const overFloor = (name: string) => (over[name] && over.floor ? round(over[name].p99_ms - over.floor.p99_ms) : NaN);
  const coldOverVial = over.cold && over.vial ? round(over.cold.p99_ms / over.vial.p99_ms, 1) : NaN;
  const tailRatio = round(v.p999_ms / v.p50_ms, 2);
  const overIsolates = (name: string, key: "p50_ms" | "p99_ms") => (iso && spikyRun[name] ? round(spikyRun[name][key] / iso[key], 2) : NaN);
  const throughputVsIsolates = (name: string, level: string) => {
    const by = steady[level];
    return by?.[name]?.throughput_rps && by.isolates?.throughput_rps ? round(by[name].throughput_rps / by.isolates.throughput_rps, 2) : NaN;
  };
  /** The isolate-pool targets, for vial through its host ("vial") and on its executors' own sockets ("vial_direct"). */
  const vsIsolates = (name: string, id: string): Target[] => [
    { id: `spiky_p50${id}_vs_isolates`, target: `B: ${name} P50 <= 1.3x the isolate pool's under spikes`, ...at(overIsolates(name, "p50_ms"), (x) => x <= 1.3) },
    { id: `spiky_p99${id}_vs_isolates`, target: `B: ${name} P99 <= 1.3x the isolate pool's under spikes`, ...at(overIsolates(name, "p99_ms"), (x) => x <= 1.3) },
    { id: `throughput_c2${id}_vs_isolates`, target: `A: ${name} throughput at concurrency ${capacity} >= 0.8x the isolate pool's`, ...at(throughputVsIsolates(name, `c${capacity}`), (x) => x >= 0.8) },
    { id: `throughput_c8${id}_vs_isolates`, target: `A: ${name} throughput at concurrency ${4 * capacity} >= 0.8x the isolate pool's`, ...at(throughputVsIsolates(name, `c${4 * capacity}`), (x) => x >= 0.8) },
    { id: `overhead_p99${id}`, target: `E: P99(${name}) - P99(floor) <= 1 ms (identity, 100 rows)`, ...at(overFloor(name), (x) => x <= 1) },
    {
      id: `cpu${id}_vs_isolates`,
      target: `H: ${name} CPU per request (its processes together) <= 1.3x the isolate pool's (10-row fuzzy, concurrency ${r.cpu?.concurrency ?? "–"})`,
      ...at(cpu[name] && cpu.isolates ? round(cpu[name].server_us_per_request / cpu.isolates.server_us_per_request, 2) : NaN, (x) => x <= 1.3),
    },
  ];
  const pyPair = summary.python;
  const targets: Target[] = [
    ...vsIsolates("vial", ""),
    ...(spikyRun.vial_direct ? vsIsolates("vial_direct", "_direct") : []),
    { id: "js_compute", target: "F: JS guest (default engine) <= 1.5x V8 per row", ...at(jsRatio ?? NaN, (x) => x <= 1.5) },
    {
      id: "python_vs_subprocess",
      target: `B: subprocess ÷ vial_python P50 >= ${SUBPROCESS_OVER_VIAL_PYTHON} under spikes (10-row fuzzy in Python)`,
      ...at(pyPair?.subprocess_over_vial_python.p50 ?? NaN, (x) => x >= SUBPROCESS_OVER_VIAL_PYTHON),
      ...(pyPair ? {} : { note: "the Python pair did not run" }),
    },
    {
      id: "python_vs_subprocess_c1",
      target: `A: subprocess ÷ vial_python P50 >= ${SUBPROCESS_OVER_VIAL_PYTHON} at concurrency 1 (10-row fuzzy in Python)`,
      ...at(pyPair?.c1_subprocess_over_vial_python?.p50 ?? NaN, (x) => x >= SUBPROCESS_OVER_VIAL_PYTHON),
      ...(pyPair?.c1_subprocess_over_vial_python ? {} : { note: "the Python pair did not run" }),
    },
    ...(pyPair?.direct
      ? [
          {
            id: "python_direct_vs_subprocess",
            target: `B: subprocess ÷ vial_python_direct P50 >= ${SUBPROCESS_OVER_VIAL_PYTHON} under spikes (10-row fuzzy in Python, on the executor's own socket)`,
            ...at(pyPair.direct.subprocess_over_vial_python_direct.p50, (x) => x >= SUBPROCESS_OVER_VIAL_PYTHON),
          },
          {
            id: "python_direct_vs_subprocess_c1",
            target: `A: subprocess ÷ vial_python_direct P50 >= ${SUBPROCESS_OVER_VIAL_PYTHON} at concurrency 1 (on the executor's own socket)`,
            ...at(pyPair.direct.c1_subprocess_over_vial_python_direct?.p50 ?? NaN, (x) => x >= SUBPROCESS_OVER_VIAL_PYTHON),
          },
        ]
      : []),
    {
      id: "python_fixed_cost",
      target: `C: the Python path's fixed cost of a call within ${PYTHON_FIXED_OVER_JS_MS} ms of the JS path's (identity, 1 row, P50 vial_python - vial)`,
      ...at(pyPair?.fixed_cost?.python_over_js_ms ?? NaN, (x) => x <= PYTHON_FIXED_OVER_JS_MS),
      ...(pyPair?.fixed_cost ? {} : { note: "the Python pair did not run" }),
    },
    { id: "resident_memory", target: `D: host + executors, 3 environments x 2 instances, PSS <= ${MAX_RESIDENT_MIB} MiB`, ...at(memory?.pss_mib ?? NaN, (x) => x <= MAX_RESIDENT_MIB) },
    { id: "spiky_tail", target: "B: P99.9 / P50 of vial <= 4 under spikes", ...at(tailRatio, (x) => x <= 4) },
    ...overloadTargets(summary.overload),
    {
      id: "request_path_instantiations",
      target: "zero request-path instantiations (host metrics, whole run)",
      value: summary.request_path_instantiations,
      holds: summary.request_path_instantiations === null ? null : summary.request_path_instantiations === 0,
    },
    { id: "cold_vs_vial", target: "E: P99(cold) >= 10x P99(vial)", ...at(coldOverVial, (x) => x >= 10) },
    { id: "payload_exponent", target: "C: payload exponent (vial, identity, 100..100,000 rows) <= 1.05", ...at(vialExp, (x) => x <= 1.05) },
    {
      id: "py_compute",
      target: "F: Python guest <= 2.2x CPython per row",
      ...at(summary.compute.py_guest_over_cpython ?? NaN, (x) => x <= 2.2),
      ...(summary.compute.py_guest_over_cpython === null ? { note: summary.compute.py_guest_over_cpython_reason } : {}),
    },
  ];
  return { ...summary, targets };
}

type Probe = { p50_ms: number; p99_ms: number; max_ms: number; statuses: Record<string, number> };
interface Overload {
  flood: { sent: number; ok: number; shed: number; late: number; other: number };
  tight_deadline_ms: number;
  idle: Record<string, Probe>;
  loaded: Record<string, Probe>;
  memory: { peak_rss_mib: number; settled_rss_mib: number; settled_after_s: number; start_rss_mib: number };
}

function overloadSummary(o: Overload) {
  const other = o.loaded.other_environment!;
  const failed = Object.entries(other.statuses).filter(([s]) => s !== "200").reduce((n, [, c]) => n + c, 0);
  return {
    flood: o.flood,
    other_environment: { p99_ms: other.p99_ms, idle_p99_ms: o.idle.other_environment!.p99_ms, failed },
    healthz_max_ms: o.loaded.healthz!.max_ms,
    tight_deadline_over_ms: round(o.loaded.tight_deadline!.max_ms - o.tight_deadline_ms, 1),
    memory: o.memory,
  };
}

function overloadTargets(o: ReturnType<typeof overloadSummary> | null): Target[] {
  if (!o) return [];
  return [
    { id: "overload_answered", target: "G: every flood request answered (200, 503 or 504; no reset)", ...at(o.flood.other, (x) => x === 0) },
    { id: "overload_other_env_failed", target: "G: the other environment's calls all succeed during the flood", ...at(o.other_environment.failed, (x) => x === 0) },
    { id: "overload_other_env_p99", target: "G: the other environment's P99 <= 2x idle during the flood", ...at(round(o.other_environment.p99_ms / o.other_environment.idle_p99_ms, 2), (x) => x <= 2) },
    { id: "overload_healthz", target: "G: /healthz never over 50 ms during the flood", ...at(o.healthz_max_ms, (x) => x <= 50) },
    { id: "overload_tight_deadline", target: "G: tight calls to the flooded environment answered within deadline + 50 ms", ...at(o.tight_deadline_over_ms, (x) => x <= 50) },
    { id: "overload_memory", target: `G: host + executors RSS <= ${OVERLOAD_RESIDENT_MIB} MiB during the flood`, ...at(o.memory.peak_rss_mib, (x) => x <= OVERLOAD_RESIDENT_MIB) },
    {
      id: "overload_memory_settled",
      target: `G: host + executors RSS back within ${Math.round((SETTLED_OVER_START - 1) * 100)}% of where it started, ${o.memory.settled_after_s} s after the flood`,
      ...at(round(o.memory.settled_rss_mib / o.memory.start_rss_mib, 2), (x) => x <= SETTLED_OVER_START),
    },
  ];
}

type PayloadPoint = { rows: number; p50_ms: number; us_per_row: number };
type PayloadCurve = { points: Record<string, PayloadPoint[]> };

/**
 * The Python pair: what the long-lived subprocesses cost relative to vial's Python environment under spikes and
 * at concurrency 1, and the fixed cost of a Python call against a JS one (C's 1-row identity points, P50).
 */
function pythonPair(spikyRun: Record<string, Latency>, c1: Record<string, Latency> | undefined, payload: Record<string, PayloadCurve>) {
  const sub = spikyRun.subprocess;
  const vp = spikyRun.vial_python;
  if (!sub || !vp) return null;
  const oneRow = (kind: string, name: string) => payload[kind]?.points[name]?.find((p) => p.rows === 1)?.p50_ms;
  const [js1, py1, sub1] = [oneRow("identity", "vial"), oneRow("identity", "vial_python"), oneRow("identity", "subprocess")];
  const vd = spikyRun.vial_python_direct;
  return {
    subprocess_over_vial_python: { p50: round(sub.p50_ms / vp.p50_ms, 2), p99: round(sub.p99_ms / vp.p99_ms, 2), p999: round(sub.p999_ms / vp.p999_ms, 2) },
    c1_subprocess_over_vial_python:
      c1?.subprocess && c1.vial_python ? { p50: round(c1.subprocess.p50_ms / c1.vial_python.p50_ms, 2), p99: round(c1.subprocess.p99_ms / c1.vial_python.p99_ms, 2) } : null,
    vial_python_over_vial_js: spikyRun.vial ? { p50: round(vp.p50_ms / spikyRun.vial.p50_ms, 2), p99: round(vp.p99_ms / spikyRun.vial.p99_ms, 2) } : null,
    fixed_cost:
      js1 !== undefined && py1 !== undefined
        ? { vial_ms: js1, vial_python_ms: py1, subprocess_ms: sub1 ?? null, python_over_js_ms: round(py1 - js1) }
        : null,
    // The same Python environment on its executor's own socket.
    direct: vd
      ? {
          subprocess_over_vial_python_direct: { p50: round(sub.p50_ms / vd.p50_ms, 2), p99: round(sub.p99_ms / vd.p99_ms, 2) },
          c1_subprocess_over_vial_python_direct:
            c1?.subprocess && c1.vial_python_direct ? { p50: round(c1.subprocess.p50_ms / c1.vial_python_direct.p50_ms, 2), p99: round(c1.subprocess.p99_ms / c1.vial_python_direct.p99_ms, 2) } : null,
        }
      : null,
  };
}

/** Per-row time in the Python component over native CPython, by kind of function (F). */
function pythonKinds(kinds: Record<string, { fn: string; guest_over_cpython?: number; reason?: string }> | { reason: string } | undefined) {
  if (!kinds || "reason" in kinds) return null;
  return Object.fromEntries(Object.entries(kinds).map(([kind, k]) => [kind, k.guest_over_cpython ?? null]));
}
