/**
 * Regression guard for the benchmark harness (not a performance test): runs
 * `bench/run.ts --smoke` into a temporary folder and checks the outputs are
 * complete and well-formed. No figure is compared with a target here.
 */
import { describe, expect, it } from "vitest";
import { execFile } from "node:child_process";
import { mkdtemp, readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { XMLParser, XMLValidator } from "fast-xml-parser";

const ROOT = fileURLToPath(new URL("../", import.meta.url));

const finite = (x: unknown) => typeof x === "number" && Number.isFinite(x);

describe("bench --smoke", () => {
  it("writes latest.json with every summary figure, latest.md, and two SVG charts", async () => {
    const out = await mkdtemp(join(tmpdir(), "vial-bench-smoke-"));
    await promisify(execFile)(process.execPath, ["--import", "tsx", join(ROOT, "bench/run.ts"), "--smoke", "--out", out], {
      cwd: ROOT,
      maxBuffer: 16 * 2 ** 20,
    });

    const report = JSON.parse(await readFile(join(out, "latest.json"), "utf8"));
    const { summary } = report;
    expect(report.contenders.run).toEqual(expect.arrayContaining(["floor", "vial", "vial_direct", "vial_wasm", "cold"]));
    for (const contender of report.contenders.run) {
      for (const key of ["p50_ms", "p99_ms", "p999_ms", "max_ms"]) expect(finite(summary.spiky[contender]?.[key]), `spiky.${contender}.${key}`).toBe(true);
    }
    for (const contender of ["floor", "vial", "vial_direct", "vial_wasm", "cold"]) {
      for (const key of ["p50_ms", "p99_ms", "p999_ms"]) expect(finite(summary.overhead[contender]?.[key]), `overhead.${contender}.${key}`).toBe(true);
    }
    expect(finite(summary.payload_exponent)).toBe(true);
    expect(finite(summary.request_path_instantiations)).toBe(true);
    expect(finite(summary.compute.js_guest_over_v8)).toBe(true);
    expect(finite(summary.compute.js_wasm_guest_over_v8)).toBe(true);
    expect(finite(summary.resident_mib?.host_and_executors_pss)).toBe(true);
    for (const level of Object.keys(report.results.steady.by_concurrency)) expect(finite(summary.throughput_rps[level].vial), level).toBe(true);
    const py = summary.compute.py_guest_over_cpython;
    expect(py === null ? typeof summary.compute.py_guest_over_cpython_reason : typeof py).toBe(py === null ? "string" : "number");
    // The Python pair runs, or says why not.
    for (const contender of ["subprocess", "vial_python"]) {
      const ran = report.contenders.run.includes(contender);
      expect(ran || typeof report.contenders.not_run[contender] === "string", contender).toBe(true);
    }
    if (report.contenders.run.includes("vial_python")) {
      expect(finite(py)).toBe(true);
      expect(finite(report.results.compute_python.compute.cpython.us_per_row)).toBe(true);
    }
    if (report.contenders.run.includes("subprocess") && report.contenders.run.includes("vial_python")) {
      for (const key of ["p50", "p99", "p999"]) expect(finite(summary.python?.subprocess_over_vial_python?.[key]), `python.${key}`).toBe(true);
      expect(finite(report.results.steady.by_concurrency.c1.subprocess.throughput_rps)).toBe(true);
      expect(finite(summary.python?.c1_subprocess_over_vial_python?.p50)).toBe(true);
      // The Python pair in C: its 1-row identity point beside vial's JS one is the fixed cost of a Python call.
      expect(finite(summary.python?.fixed_cost?.python_over_js_ms)).toBe(true);
    }
    // Per-row ratios to native CPython by kind of function: each measured, or a reason why not.
    if (report.contenders.run.includes("vial_python")) {
      for (const kind of ["string_matching", "float_math", "numpy"]) {
        const measured = report.results.compute_python_kinds[kind];
        expect(finite(measured.guest_over_cpython) || typeof measured.reason === "string", kind).toBe(true);
      }
    }
    expect(summary.targets.length).toBeGreaterThanOrEqual(13);
    // H: CPU per request of every process of each contender, vial's executors included.
    for (const name of ["floor", "vial", "vial_direct", "isolates"]) expect(summary.cpu_us_per_request[name]?.server, name).toBeGreaterThan(0);
    expect(report.results.cpu.by_contender.find((c: { name: string }) => c.name === "vial").processes.length).toBeGreaterThanOrEqual(2);
    for (const t of summary.targets) expect([true, false, null]).toContain(t.holds);
    expect(finite(report.results.footprint.rss.per_warm_instance_mib)).toBe(true);
    expect(finite(report.results.footprint.host_start.create_to_ready_ms)).toBe(true);

    const md = await readFile(join(out, "latest.md"), "utf8");
    expect(md).toContain("## Targets");
    expect(md).toContain("vial ÷ floor");
    expect(md).toContain("## H. CPU per request");

    for (const chart of ["latency.svg", "payload.svg"]) {
      const svg = await readFile(join(out, chart), "utf8");
      expect(XMLValidator.validate(svg), chart).toBe(true);
      const root = new XMLParser({ ignoreAttributes: false }).parse(svg);
      expect(root.svg?.["@_xmlns"], chart).toBe("http://www.w3.org/2000/svg");
    }
    // Marks that were drawn, not only axes: a bar of non-zero height, and the payload lines.
    expect(await readFile(join(out, "latency.svg"), "utf8")).toMatch(/aria-roledescription="bar" d="M[\d.,]+h[\d.]+v[1-9]/);
    expect(await readFile(join(out, "payload.svg"), "utf8")).toContain('aria-roledescription="line mark"');
  }, 900_000);
});
