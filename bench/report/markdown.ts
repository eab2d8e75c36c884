/** latest.md: the results as tables, with ratios to vial and to the floor, and the targets. */
import type { Target } from "./summary.ts";

type Lat = { count: number; p50_ms: number; p99_ms: number; p999_ms: number; max_ms: number; rejected_503?: number; throughput_rps?: number };

const f = (x: number | null | undefined, digits = 2) => (x === null || x === undefined || !Number.isFinite(x) ? "–" : x >= 100 ? x.toFixed(0) : x.toFixed(digits));
const ratio = (a: number, b: number) => (Number.isFinite(a / b) ? `${(a / b).toFixed(a / b >= 10 ? 0 : 2)}×` : "–");
const mark = (holds: boolean | null) => (holds === null ? "not run" : holds ? "holds" : "does not hold");

function latencyTable(by: Record<string, Lat>, opts: { throughput?: boolean; rejects?: boolean } = {}): string {
  const vial = by.vial;
  const head = ["contender", "ok requests", ...(opts.throughput ? ["req/s"] : []), "P50 ms", "P99 ms", "P99.9 ms", "max ms", ...(opts.rejects ? ["503s"] : []), "P50 ÷ vial", "P99 ÷ vial"];
  const lines = [`| ${head.join(" | ")} |`, `|${head.map(() => " --- ").join("|")}|`];
  for (const [name, l] of Object.entries(by)) {
    const cells = [name, String(l.count), ...(opts.throughput ? [f(l.throughput_rps, 0)] : []), f(l.p50_ms), f(l.p99_ms), f(l.p999_ms), f(l.max_ms), ...(opts.rejects ? [String(l.rejected_503 ?? 0)] : [])];
    cells.push(vial ? ratio(l.p50_ms, vial.p50_ms) : "–", vial ? ratio(l.p99_ms, vial.p99_ms) : "–");
    lines.push(`| ${cells.join(" | ")} |`);
  }
  if (vial && by.floor) lines.push("", `vial ÷ floor: P50 ${ratio(vial.p50_ms, by.floor.p50_ms)}, P99 ${ratio(vial.p99_ms, by.floor.p99_ms)}, P99.9 ${ratio(vial.p999_ms, by.floor.p999_ms)}.`);
  if (vial && by.isolates) {
    const rps = opts.throughput && vial.throughput_rps && by.isolates.throughput_rps ? `, req/s ${ratio(vial.throughput_rps, by.isolates.throughput_rps)}` : "";
    lines.push("", `vial ÷ isolates: P50 ${ratio(vial.p50_ms, by.isolates.p50_ms)}, P99 ${ratio(vial.p99_ms, by.isolates.p99_ms)}${rps}.`);
  }
  const direct = by.vial_direct;
  if (direct && by.isolates) {
    const rps = opts.throughput && direct.throughput_rps && by.isolates.throughput_rps ? `, req/s ${ratio(direct.throughput_rps, by.isolates.throughput_rps)}` : "";
    lines.push("", `vial_direct ÷ isolates: P50 ${ratio(direct.p50_ms, by.isolates.p50_ms)}, P99 ${ratio(direct.p99_ms, by.isolates.p99_ms)}${rps}.`);
  }
  const [sub, vp] = [by.subprocess, by.vial_python];
  if (sub && vp) {
    lines.push(
      "",
      `Python pair, subprocess ÷ vial_python: P50 ${ratio(sub.p50_ms, vp.p50_ms)}, P99 ${ratio(sub.p99_ms, vp.p99_ms)}, P99.9 ${ratio(sub.p999_ms, vp.p999_ms)}` +
        (opts.throughput ? `, req/s ${ratio(sub.throughput_rps ?? NaN, vp.throughput_rps ?? NaN)}.` : "."),
    );
  }
  const vpd = by.vial_python_direct;
  if (sub && vpd) lines.push("", `subprocess ÷ vial_python_direct: P50 ${ratio(sub.p50_ms, vpd.p50_ms)}, P99 ${ratio(sub.p99_ms, vpd.p99_ms)}, P99.9 ${ratio(sub.p999_ms, vpd.p999_ms)}.`);
  return lines.join("\n");
}

// The results object is assembled by the scenarios; its shape is checked by test/bench.test.ts.
export function markdown(report: any, summary: { targets: Target[]; python?: any }): string {
  const r = report.results;
  const out: string[] = [];
  const m = report.machine;
  out.push(
    "# vial benchmark: latest results",
    "",
    `Mode \`${report.mode}\`, ${report.started_at}, ${report.duration_s} s. ${m.cores} × ${m.cpu}, ${m.memory_gib} GiB, Linux ${m.kernel}, load average at start ${m.loadavg_at_start.join(" / ")} (shared machine). Node ${report.versions.node} (V8 ${report.versions.v8}).`,
    `Host process flags: \`${report.host_flags.join(" ") || "(none)"}\` (all contender servers run with the same flags). Pool capacity ${report.capacity} per environment.`,
    `Contenders run: ${report.contenders.run.join(", ")}.` + Object.entries(report.contenders.not_run as Record<string, string>).map(([n, why]) => ` **${n}**: ${why}.`).join(""),
    "",
    "Each contender is its own server process on loopback; the load generator interleaves contenders round by round within each scenario. Latency is client-side (request sent to response body read), in HDR histograms; 503s are counted, not timed. `vial` runs each version on its default engine (V8 isolates in an executor process per environment); `vial_wasm` is the same host running every version's QuickJS component instead. `vial_direct` (and `vial_python_direct`) are the executors of the `vial` (and `vial_python`) host called on their own unix sockets (`directSockets`), as a feature server beside them can call them, without the host's process on the way.",
    "",
    "The Python pair serves the fuzzy example written in Python (fuzzywuzzy 0.18.0, pure Python): `vial_python` is a vial host of its own serving it as a Python environment; `subprocess` is a bare Hono route over a pool of long-lived python3 processes (same size, same queue bound) running the module natively. They take part in A, B (bursts as wide as the pool) and C up to 1,000 rows (the fuzzy example, and an identity function in Python); the other rows in those tables are the same batches through the JS example, for scale. The ratios to vial in those tables compare with vial serving JS; the Python pair's own ratios are under each table.",
    "",
    "## Targets",
    "",
    "| target | value | result |",
    "| --- | --- | --- |",
    ...summary.targets.map((t) => `| ${t.target} | ${t.value === null ? "–" : t.value} | ${mark(t.holds)}${t.note ? ` (${t.note})` : ""} |`),
    "",
    `## B. Spiky load, bursts of ${r.spiky.capacity.burst} (10-row fuzzy batches, up to ${r.spiky.capacity.bursts} bursts or ${r.spiky.capacity.cap_seconds} s per contender, gaps ${r.spiky.gap_ms.join("–")} ms)`,
    "",
    latencyTable(r.spiky.capacity.by_contender),
    "",
    `## B. Spiky load past capacity: bursts of ${r.spiky.over_capacity.burst}, queue bound ${r.spiky.over_capacity.max_queue}`,
    "",
    "Floor and cold have no admission limit; vial and the isolate pool queue up to the bound and answer 503 past it.",
    "",
    latencyTable(r.spiky.over_capacity.by_contender, { rejects: true }),
    "",
    `## E. Overhead: identity, ${r.overhead.rows_per_batch} rows, bursts of ${r.overhead.burst} (up to ${r.overhead.bursts} bursts or ${r.overhead.cap_seconds} s per contender)`,
    "",
    latencyTable(r.overhead.by_contender),
    "",
    "## A. Steady load (10-row fuzzy batches, closed loop)",
    "",
  );
  for (const [level, by] of Object.entries(r.steady.by_concurrency as Record<string, Record<string, Lat>>)) {
    out.push(`### Concurrency ${level.slice(1)}`, "", latencyTable(by, { throughput: true, rejects: true }), "");
  }
  out.push("## C. Payload scaling (one request at a time)", "");
  for (const [kind, curve] of Object.entries(r.payload as Record<string, any>)) {
    const names = Object.keys(curve.points);
    const points = curve.points as Record<string, Array<{ rows: number; p50_ms: number; us_per_row: number }>>;
    // Contenders may stop at different sizes (the Python pair at 1,000 rows): every size any of them ran.
    const sizes = [...new Set(names.flatMap((n) => points[n]!.map((p) => p.rows)))].sort((a, b) => a - b);
    const cell = (n: string, rows: number) => {
      const p = points[n]!.find((q) => q.rows === rows);
      return p ? `${f(p.p50_ms)} (${f(p.us_per_row)})` : "–";
    };
    out.push(`### ${kind} (\`${curve.env}\`): P50 ms per request (µs per row)`, "", `| rows | ${names.join(" | ")} |`, `| --- |${names.map(() => " --- ").join("|")}|`);
    for (const rows of sizes) out.push(`| ${rows.toLocaleString("en")} | ${names.map((n) => cell(n, rows)).join(" | ")} |`);
    out.push("", `Fitted exponent of time vs rows over ${curve.fit_from_rows}+ rows (1.0 = linear): ${names.map((n) => `${n} ${f(curve.exponent_by_contender[n], 3)}`).join(", ")}.`, "");
  }
  const fixed = summary.python?.fixed_cost;
  if (fixed) {
    out.push(
      `Fixed cost of a call (identity, 1 row, P50): vial (JS) ${f(fixed.vial_ms)} ms, vial_python ${f(fixed.vial_python_ms)} ms, subprocess ${f(fixed.subprocess_ms)} ms; the Python path's over the JS path's: ${fixed.python_over_js_ms >= 0 ? "+" : ""}${f(fixed.python_over_js_ms)} ms.`,
      "",
    );
  }
  const d = r.footprint;
  const c = r.compute;
  out.push(
    "## D. Footprint",
    "",
    "| figure | value |",
    "| --- | --- |",
    `| component core modules compile (fuzzy, once per executor) | ${c.compile_ms} ms |`,
    `| component instantiate (fuzzy, compiled modules), P50 / max of ${c.instantiate.count} | ${f(c.instantiate.p50_ms)} / ${f(c.instantiate.max_ms)} ms |`,
    `| host + executors, ${d.host_and_executors.environments} environments × ${d.host_and_executors.instances_each} instances (${d.host_and_executors.processes} processes): RSS summed / PSS | ${d.host_and_executors.rss_mib} / ${d.host_and_executors.pss_mib} MiB |`,
    `| RSS per added warm instance | ${d.rss.per_warm_instance_mib} MiB |`,
    `| host createHost → ready, ${d.host_start.environments} environments | ${d.host_start.create_to_ready_ms} ms |`,
    `| host process start → ready | ${d.host_start.process_start_to_ready_ms} ms |`,
    ...d.build.environments.map((b: any) => `| build \`${b.env}\`: env create + deploy | ${b.create_ms} + ${b.deploy_ms} ms${d.build.cached ? ` (store built ${d.build.built_at})` : ""} |`),
    "",
    "## F. Compute per row (fuzzy example)",
    "",
    "| where | µs per row | P50 per call (ms) |",
    "| --- | --- | --- |",
    `| v8 engine (the bundle in an isolate, called from outside it) | ${f(c.compute.v8_engine.us_per_row)} | ${f(c.compute.v8_engine.p50_ms_per_call)} |`,
    `| the component (QuickJS in WASM) | ${f(c.compute.wasm.us_per_row)} | ${f(c.compute.wasm.p50_ms_per_call)} |`,
    `| same bundle in plain V8 (a vm context) | ${f(c.compute.v8.us_per_row)} | ${f(c.compute.v8.p50_ms_per_call)} |`,
    "",
    `Engine ÷ V8 (batches of ${c.compute.rows} rows): v8 ${c.compute.guest_over_v8}×, component ${c.compute.wasm_over_v8}×.`,
    "",
    ...pythonCompute(r.compute_python, r.python_build),
    ...pythonKinds(r.compute_python_kinds),
    ...overloadSection(r.overload),
    ...cpuSection(r.cpu),
    `Request-path instantiations reported by the host over the whole run: ${report.request_path_instantiations ?? "not available"}.`,
    "",
  );
  return out.join("\n");
}

function cpuSection(cpu: any): string[] {
  if (!cpu) return [];
  const iso = cpu.by_contender.find((c: any) => c.name === "isolates");
  return [
    `## H. CPU per request (10-row fuzzy batches, closed loop at concurrency ${cpu.concurrency}, ${cpu.seconds} s per contender)`,
    "",
    "CPU time of every process of the contender (from /proc) over the requests it served, one contender at a time; the load generator's own beside it.",
    "",
    "| contender | req/s | µs per request: its processes | of which, by process | load generator | ÷ isolates |",
    "| --- | --- | --- | --- | --- | --- |",
    ...cpu.by_contender.map(
      (c: any) =>
        `| ${c.name} | ${c.req_per_s} | ${c.server_us_per_request} | ${c.processes.map((p: any, i: number) => (i === 0 ? `server ${p.us_per_request}` : `child ${p.us_per_request}`)).join(", ")} | ${c.client_us_per_request} | ${iso ? ratio(c.server_us_per_request, iso.server_us_per_request) : "–"} |`,
    ),
    "",
  ];
}

function overloadSection(o: any): string[] {
  if (!o) return [];
  const row = (name: string) => {
    const [idle, loaded] = [o.idle[name], o.loaded[name]];
    const statuses = Object.entries(loaded.statuses as Record<string, number>).map(([s, n]) => `${n}×${s}`).join(", ");
    return `| ${name.replace("_", " ")} | ${f(idle.p50_ms)} / ${f(idle.p99_ms)} | ${f(loaded.p50_ms)} / ${f(loaded.p99_ms)} / ${f(loaded.max_ms)} | ${statuses} |`;
  };
  const m = o.memory;
  return [
    `## G. Overload: ${o.flood.clients} clients flooding one environment with ${o.flood.rows.toLocaleString("en")}-row batches (${o.flood.body_mib} MiB) for ${o.flood.seconds} s`,
    "",
    "The host runs as the image runs `vial serve` (no V8 flags, the image's malloc settings); the flood comes from a process of its own at the lowest scheduling priority (it stands for callers on other machines), each probe from a process of its own, `/healthz` every 10 ms, the calls back to back.",
    "",
    `Flood requests: ${o.flood.sent} sent, ${o.flood.ok} served, ${o.flood.shed} shed (503), ${o.flood.late} past their deadline (504), ${o.flood.other} other.`,
    "",
    "| probe (one request at a time) | idle P50 / P99 ms | during the flood P50 / P99 / max ms | statuses |",
    "| --- | --- | --- | --- |",
    row("other_environment"),
    row("healthz"),
    row("tight_deadline"),
    "",
    `Tight-deadline calls ask for ${o.tight_deadline_ms} ms. Host and executors, RSS (PSS): ${m.start_rss_mib} (${m.start_pss_mib}) MiB before, ${m.peak_rss_mib} (${m.peak_pss_mib}) at peak, ${m.settled_rss_mib} (${m.settled_pss_mib}) ${m.settled_after_s} s after.`,
    "",
  ];
}

const KINDS: Record<string, string> = { string_matching: "string matching (the fuzzy example)", float_math: "floating-point math (haversine)", numpy: "numpy (cosine similarity)" };

function pythonKinds(kinds: any): string[] {
  if (!kinds || kinds.reason) return ["### Python per row by kind of function", "", `Not measured: ${kinds?.reason ?? "the Python path was not run"}.`, ""];
  const row = (kind: string, k: any) =>
    k.reason
      ? `| ${KINDS[kind] ?? kind} | \`${k.fn}\` | – | – | – | not measured: ${k.reason} |`
      : `| ${KINDS[kind] ?? kind} | \`${k.fn}\` | ${k.rows} | ${f(k.guest.us_per_row)} | ${f(k.cpython.us_per_row)} | ${k.guest_over_cpython}× |`;
  return [
    "### Python per row by kind of function (component ÷ native CPython)",
    "",
    "| kind | function | rows per batch | component µs per row | CPython µs per row | ratio |",
    "| --- | --- | --- | --- | --- | --- |",
    ...Object.entries(kinds as Record<string, any>).map(([kind, k]) => row(kind, k)),
    "",
    "Each a whole call per batch (the dispatcher's JSON and checks included), the guest timed in Node, CPython inside Python, in alternating slices.",
    "",
  ];
}

function pythonCompute(py: any, build: any): string[] {
  if (!py?.compute) return ["### Python", "", `Not measured: ${py?.reason ?? "the Python path was not run"}.`, ""];
  const c = py.compute;
  const b = build?.environments?.[0];
  return [
    "### Python (the fuzzy example in Python)",
    "",
    "| where | µs per row | P50 per call (ms) |",
    "| --- | --- | --- |",
    `| inside the Python component (CPython in WASM) | ${f(c.guest.us_per_row)} | ${f(c.guest.p50_ms_per_call)} |`,
    `| same module and dispatcher in native CPython | ${f(c.cpython.us_per_row)} | ${f(c.cpython.p50_ms_per_call)} |`,
    "",
    `Python guest ÷ CPython: ${c.guest_over_cpython}× (batches of ${c.rows} rows; the guest timed in Node, CPython inside Python, in alternating slices).`,
    "",
    `Python component: core modules compile ${py.compile_ms} ms; instantiate P50 / max of ${py.instantiate.count}: ${f(py.instantiate.p50_ms)} / ${f(py.instantiate.max_ms)} ms` +
      (b ? `; build \`${b.env}\`: env create + deploy ${b.create_ms} + ${b.deploy_ms} ms${build.cached ? ` (store built ${build.built_at})` : ""}, component ${(b.component_bytes / 2 ** 20).toFixed(1)} MiB.` : "."),
    "",
  ];
}
