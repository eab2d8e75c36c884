/**
 * vial against the latency floor and the architectures it replaces.
 *
 *   npx tsx bench/run.ts [--quick | --smoke] [--out DIR] [--rebuild] [--host-flags "..."] [--skip isolates,subprocess,vial_python]
 *   (scenarios A steady, B spiky, C payload, D footprint, E overhead, F compute, G overload)
 *
 * Every contender runs the same transformation over HTTP on loopback, each in
 * its own server process, interleaved round by round within each scenario.
 * Writes DIR/latest.json, DIR/latest.md, DIR/latency.svg, DIR/payload.svg.
 */
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { MODES, type ModeName } from "./modes.ts";
import { benchNumpyStore, benchPythonStore, benchStore, type BenchStore } from "./store.ts";
import { FUZZY, FUZZY_PY, FUZZY_TIGHT, IDENTITY, IDENTITY_PY, ROOT } from "./envs.ts";
import { scriptBundle } from "./bundle.ts";
import { startServer, type ServerProcess } from "./servers/spawn.ts";
import type { VialServerConfig } from "./servers/vial.ts";
import { closeClients } from "./load/target.ts";
import type { Contender, ScenarioContext } from "./scenarios/context.ts";
import { cpuPerRequest } from "./scenarios/cpu.ts";
import { steady } from "./scenarios/steady.ts";
import { overhead, spiky } from "./scenarios/spiky.ts";
import { payload } from "./scenarios/payload.ts";
import { footprint } from "./scenarios/footprint.ts";
import { overload } from "./scenarios/overload.ts";
import { compute, computePython, computePythonKinds } from "./scenarios/compute.ts";
import { requestPathInstantiations } from "./scenarios/metrics.ts";
import { machineInfo, versions } from "./machine.ts";
import { writeReports } from "./report/write.ts";
import { CONTENDER_CALL_PATH, VIAL_INVOKE_PATH } from "./servers/paths.ts";

/** C measures the Python pair up to this batch size: past it, Python's per-row cost would make its points the longest part of a run. */
const PYTHON_MAX_ROWS = 1_000;

/** Why each flag: docs/performance.md ("host flags"). */
export const DEFAULT_HOST_FLAGS = ["--no-wasm-lazy-compilation", "--single-threaded-gc"];

const { values } = parseArgs({
  options: {
    quick: { type: "boolean", default: false },
    smoke: { type: "boolean", default: false },
    out: { type: "string", default: join(ROOT, "bench", "results") },
    rebuild: { type: "boolean", default: false },
    "host-flags": { type: "string" },
    skip: { type: "string", default: "" },
  },
});

const modeName: ModeName = values.smoke ? "smoke" : values.quick ? "quick" : "full";
const mode = MODES[modeName];
const hostFlags = values["host-flags"] === undefined ? DEFAULT_HOST_FLAGS : values["host-flags"].split(/\s+/).filter(Boolean);
const skip = new Set(values.skip.split(",").filter(Boolean));
const started = performance.now();
const progress = (msg: string) => console.error(`[${((performance.now() - started) / 1000).toFixed(1).padStart(6)} s] ${msg}`);

/** Contenders that could not run, with the reason, for the results. */
const notRun: Record<string, string> = {};

async function optional(name: string, start: () => Promise<ServerProcess>): Promise<ServerProcess | undefined> {
  if (skip.has(name)) {
    notRun[name] = "skipped with --skip";
    return undefined;
  }
  try {
    return await start();
  } catch (error) {
    notRun[name] = `could not start: ${(error as Error).message.split("\n")[0]}`;
    progress(`${name}: ${notRun[name]}`);
    return undefined;
  }
}

/** Calls on an executor's own socket: the origin only names the Host header. */
const DIRECT_ORIGIN = "http://localhost";
const directSocket = (cfg: Pick<VialServerConfig, "directSockets">) => (env: string) => join(cfg.directSockets!, `${env}.sock`);

async function main() {
  const machine = machineInfo();
  progress(`mode ${modeName}, host flags: ${hostFlags.join(" ") || "(none)"}`);
  const bench = await benchStore({ rebuild: values.rebuild || modeName === "full", progress });
  const work = await mkdtemp(join(tmpdir(), "vial-bench-"));
  const servers: ServerProcess[] = [];
  try {
    const fuzzyScript = join(work, `${FUZZY.name}.js`);
    await writeFile(fuzzyScript, await scriptBundle(bench.store.root, FUZZY.name));

    progress("starting servers");
    const floor = await startServer("./floor.ts", { envs: [FUZZY, FUZZY_TIGHT, IDENTITY].map((e) => ({ name: e.name, module: e.module })) }, hostFlags);
    const vialCfg: VialServerConfig = {
      store: bench.store.root,
      size: mode.capacity,
      deadlineMs: 60_000,
      defaultMaxQueue: 64,
      maxQueue: { [FUZZY_TIGHT.name]: mode.capacity },
      directSockets: join(work, "direct"),
    };
    const vial = await startServer("./vial.ts", vialCfg, hostFlags);
    // The same store, every version run as its WebAssembly component (QuickJS) instead of on V8.
    const vialWasm = await startServer("./vial.ts", { ...vialCfg, engine: "component", directSockets: undefined }, hostFlags);
    // --expose-gc only lets the bench collect cold's garbage between its slices (Contender.settle).
    const cold = await startServer("./cold.ts", { store: bench.store.root, envs: [FUZZY.name, FUZZY_TIGHT.name, IDENTITY.name] }, [...hostFlags, "--expose-gc"]);
    servers.push(floor, vial, vialWasm, cold);
    const isolates = await optional("isolates", () =>
      startServer(
        "./isolates.ts",
        {
          store: bench.store.root,
          size: mode.capacity,
          memoryMiB: 256,
          envs: [
            { name: FUZZY.name, from: FUZZY.name, maxQueue: 64 },
            { name: FUZZY_TIGHT.name, from: FUZZY.name, maxQueue: mode.capacity },
            { name: IDENTITY.name, from: IDENTITY.name, maxQueue: 64 },
          ],
        },
        hostFlags,
      ),
    );
    if (isolates) servers.push(isolates);

    // The Python pair: vial serving the Python environments (a host of its own, on the Python store) and
    // long-lived CPython subprocesses behind a bare route. Both serve the fuzzy example and an identity function.
    let pyStore: BenchStore | undefined;
    const vialPython = await optional("vial_python", async () => {
      pyStore = await benchPythonStore({ rebuild: values.rebuild || modeName === "full", progress });
      const cfg: VialServerConfig = { store: pyStore.store.root, size: mode.capacity, deadlineMs: 60_000, defaultMaxQueue: 64, maxQueue: {}, directSockets: join(work, "direct-python") };
      return startServer("./vial.ts", cfg, hostFlags);
    });
    if (vialPython) servers.push(vialPython);
    const subprocess = await optional("subprocess", () =>
      startServer(
        "./subprocess.ts",
        {
          size: mode.capacity,
          envs: [
            { name: FUZZY.name, module: FUZZY_PY.module, maxQueue: 64 },
            { name: IDENTITY.name, module: IDENTITY_PY.module, maxQueue: 64 },
          ],
        },
        hostFlags,
      ),
    );
    if (subprocess) servers.push(subprocess);
    /** The Python contenders serve the fuzzy and identity bench environments (under these names), nothing else. */
    const pythonEnv = (names: Record<string, string>) => (env: string) => names[env];

    const same = (env: string) => env;
    const contenders: Contender[] = [
      { name: "floor", target: { name: "floor", origin: floor.origin, path: CONTENDER_CALL_PATH }, env: same },
      { name: "vial", target: { name: "vial", origin: vial.origin, path: VIAL_INVOKE_PATH }, env: same },
      // The same host's executors, called on their own sockets as a sidecar's feature server can call them.
      { name: "vial_direct", target: { name: "vial_direct", origin: DIRECT_ORIGIN, path: VIAL_INVOKE_PATH, socket: directSocket(vialCfg) }, env: same },
      { name: "vial_wasm", target: { name: "vial_wasm", origin: vialWasm.origin, path: VIAL_INVOKE_PATH }, env: same },
      {
        name: "cold",
        target: { name: "cold", origin: cold.origin, path: (env, fn) => `/cold/${env}/${fn}` },
        env: same,
        // Each cold request leaves a dropped instance (tens of MiB of linear memory) for V8 to collect: between
        // slices, so the collection does not land on cold's next one.
        settle: () => cold.collect(),
      },
      ...(isolates ? [{ name: "isolates", target: { name: "isolates", origin: isolates.origin, path: CONTENDER_CALL_PATH }, env: same }] : []),
      ...(subprocess
        ? [
            {
              name: "subprocess",
              target: { name: "subprocess", origin: subprocess.origin, path: CONTENDER_CALL_PATH },
              env: pythonEnv({ [FUZZY.name]: FUZZY.name, [IDENTITY.name]: IDENTITY.name }),
              maxRows: PYTHON_MAX_ROWS,
            },
          ]
        : []),
      ...(vialPython
        ? [
            {
              name: "vial_python",
              target: { name: "vial_python", origin: vialPython.origin, path: VIAL_INVOKE_PATH },
              env: pythonEnv({ [FUZZY.name]: FUZZY_PY.name, [IDENTITY.name]: IDENTITY_PY.name }),
              maxRows: PYTHON_MAX_ROWS,
            },
            {
              name: "vial_python_direct",
              target: { name: "vial_python_direct", origin: DIRECT_ORIGIN, path: VIAL_INVOKE_PATH, socket: directSocket({ directSockets: join(work, "direct-python") }) },
              env: pythonEnv({ [FUZZY.name]: FUZZY_PY.name, [IDENTITY.name]: IDENTITY_PY.name }),
              maxRows: PYTHON_MAX_ROWS,
            },
          ]
        : []),
    ];
    const ctx: ScenarioContext = { mode, contenders, progress };

    const results: Record<string, unknown> = {};
    results.steady = await steady(ctx);
    results.spiky = await spiky(ctx);
    results.overhead = await overhead(ctx, contenders.filter((c) => ["floor", "vial", "vial_direct", "vial_wasm", "cold"].includes(c.name)));
    results.payload = await payload(ctx);
    // Every vial host, JS and Python: null if any could not say.
    const counts = await Promise.all([vial, vialWasm, ...(vialPython ? [vialPython] : [])].map((s) => requestPathInstantiations(s.origin)));
    const instantiations = counts.includes(null) ? null : (counts as number[]).reduce((a, b) => a + b, 0);
    await closeClients();
    for (const s of servers.splice(0)) await s.stop();

    progress("F compute / D instantiate");
    results.compute = await compute(bench.store.root, fuzzyScript, mode, hostFlags);
    results.compute_python = pyStore
      ? await computePython(pyStore.store.root, mode, hostFlags).catch((error: Error) => ({ reason: `failed: ${error.message.split("\n")[0]}` }))
      : { reason: `the Python environment was not served (${notRun.vial_python ?? "unknown"})` };
    // Per-row ratios to native CPython for functions of different kinds (string matching, floating-point math, numpy).
    results.compute_python_kinds = pyStore
      ? await computePythonKinds(pyStore.store.root, results.compute_python as { compute?: Record<string, unknown> }, () => benchNumpyStore({ rebuild: values.rebuild || modeName === "full", progress }), mode, hostFlags, progress)
      : { reason: `the Python environment was not served (${notRun.vial_python ?? "unknown"})` };
    if (pyStore) results.python_build = { cached: pyStore.cached, built_at: pyStore.built_at, environments: pyStore.builds };
    results.footprint = await footprint(bench, vial, mode.footprint.rssInstances, hostFlags, progress);
    results.overload = await overload(bench.store.root, mode, progress);
    results.cpu = { concurrency: mode.cpu.concurrency, seconds: mode.cpu.seconds, by_contender: await cpuPerRequest({ store: bench.store.root, ...mode.cpu, hostFlags, progress }) };

    await mkdir(values.out, { recursive: true });
    await writeReports(values.out, {
      mode: modeName,
      started_at: new Date(Date.now() - (performance.now() - started)).toISOString(),
      duration_s: Math.round((performance.now() - started) / 100) / 10,
      machine,
      versions: versions(),
      host_flags: hostFlags,
      capacity: mode.capacity,
      contenders: { run: contenders.map((c) => c.name), not_run: notRun },
      request_path_instantiations: instantiations,
      results,
    });
    progress(`wrote ${values.out}/latest.{json,md}, latency.svg, payload.svg`);
  } finally {
    await closeClients();
    for (const s of servers) await s.stop();
    await rm(work, { recursive: true, force: true });
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
