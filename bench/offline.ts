/**
 * `vial run` over files against a plain Node loop calling the same JS
 * (bench/offline-loop.ts), on the identity and fuzzy functions of the bench
 * store, in one run on one machine: rows per second, and the peak memory of
 * each (the whole process tree: vial's executors included) at 1 and 10
 * million identity rows, which shows whether memory follows the file's size.
 *
 *   npm run bench:offline [-- --quick]   -> bench/results/offline.json
 *
 * --quick: 1 and 2 million identity rows, 50,000 fuzzy rows (a few minutes).
 */
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { mkdtemp, open, rm, writeFile } from "node:fs/promises";
import { availableParallelism, tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { benchStore } from "./store.ts";
import { FUZZY, IDENTITY, ROOT, type BenchEnv } from "./envs.ts";
import { sampleTreeMemory } from "../testing/process-tree.ts";
import { machineInfo } from "./machine.ts";

const { values } = parseArgs({ options: { quick: { type: "boolean", default: false } } });
const IDENTITY_ROWS = values.quick ? [1_000_000, 2_000_000] : [1_000_000, 10_000_000];
const FUZZY_ROWS = values.quick ? 50_000 : 200_000;
const WORDS = ["Mocha", "Cheesecake", "Fudge", "Brownie", "Bars", "chocolate", "vanilla", "caramel"];

interface Measured {
  seconds: number;
  peakRssMiB: number;
  peakPssMiB: number;
  /** Peak PSS in the first and in the second half of the run's time: equal when memory does not grow with the rows done. */
  halvesPssMiB: [number, number];
  outputSha256: string;
}

async function writeRows(path: string, count: number, row: (i: number) => object): Promise<void> {
  const file = await open(path, "w");
  for (let start = 0; start < count; start += 100_000) {
    let text = "";
    for (let i = start; i < Math.min(count, start + 100_000); i++) text += JSON.stringify(row(i)) + "\n";
    await file.write(text);
  }
  await file.close();
}

async function sha256Of(path: string): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest("hex");
}

/** Runs a command to its end, sampling its process tree's memory every 100 ms. */
async function measure(command: string, args: string[], output: string): Promise<Measured> {
  const started = performance.now();
  const child = spawn(command, args, { cwd: ROOT, stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr.on("data", (d: Buffer) => (stderr = (stderr + d).slice(-2000)));
  const sampler = sampleTreeMemory(child.pid!, 100);
  const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
  const { samples, peakRssBytes } = await sampler.stop();
  if (code !== 0) throw new Error(`${command} ${args.join(" ")} exited with ${code}: ${stderr}`);
  const mib = (bytes: number) => Math.round(bytes / 2 ** 20);
  const middle = (started + performance.now()) / 2;
  const peak = (keep: (at: number) => boolean) => mib(Math.max(0, ...samples.filter((s) => keep(s.at)).map((s) => s.pssBytes)));
  return {
    seconds: (performance.now() - started) / 1000,
    peakRssMiB: mib(peakRssBytes),
    peakPssMiB: peak(() => true),
    halvesPssMiB: [peak((at) => at < middle), peak((at) => at >= middle)],
    outputSha256: await sha256Of(output),
  };
}

async function main() {
  const machine = machineInfo();
  const bench = await benchStore({ rebuild: false, progress: (msg) => console.error(msg) });
  const dir = await mkdtemp(join(tmpdir(), "vial-bench-offline-"));
  const output = join(dir, "out.ndjson");
  const vialRun = (env: BenchEnv, input: string) =>
    measure(process.execPath, [join(ROOT, "bin", "vial.js"), "run", "--env", env.name, "--fn", env.fn, "--input", input, "--output", output, "--store", bench.store.root, "--allow-errors"], output);
  const loop = (env: BenchEnv, input: string) => measure(process.execPath, ["--import", "tsx", join(ROOT, "bench", "offline-loop.ts"), env.module, env.fn, input, output], output);

  const runs: Array<Record<string, unknown>> = [];
  const record = (workload: string, rows: number, contender: string, m: Measured, startupSeconds = 0) => {
    const entry = {
      workload,
      rows,
      contender,
      seconds: Math.round(m.seconds * 100) / 100,
      rows_per_second: Math.round(rows / m.seconds),
      rows_per_second_after_start: Math.round(rows / Math.max(m.seconds - startupSeconds, 1e-3)),
      peak_rss_mib: m.peakRssMiB,
      peak_pss_mib: m.peakPssMiB,
      peak_pss_mib_by_half: m.halvesPssMiB,
    };
    runs.push(entry);
    console.error(`${workload} ${rows.toLocaleString("en-US")} rows, ${contender}: ${entry.seconds} s, ${entry.rows_per_second.toLocaleString("en-US")} rows/s, peak ${m.peakPssMiB} MiB PSS (${m.peakRssMiB} MiB RSS)`);
    return entry;
  };

  try {
    // Startup: a one-row file (bundling, sandbox probe, executors warm, the file renamed into place).
    const one = join(dir, "one.ndjson");
    await writeFile(one, '{"id":1,"text":"one"}\n');
    const startup = (await vialRun(IDENTITY, one)).seconds;
    console.error(`vial run startup (one row): ${startup.toFixed(2)} s`);

    const same: Record<string, boolean> = {};
    const ratios: Record<string, number> = {};
    const workloads: Array<[string, BenchEnv, number, (i: number) => object]> = [
      ...IDENTITY_ROWS.map((n): [string, BenchEnv, number, (i: number) => object] => ["identity", IDENTITY, n, (i) => ({ id: i, text: `row number ${i}` })]),
      ["fuzzy", FUZZY, FUZZY_ROWS, (i) => ({ text: `${WORDS[i % 8]} ${WORDS[(i * 7 + 3) % 8]} ${WORDS[(i * 5 + 1) % 8]} ${i}` })],
    ];
    for (const [workload, env, rows, row] of workloads) {
      const input = join(dir, `${workload}-${rows}.ndjson`);
      await writeRows(input, rows, row);
      const baseline = await loop(env, input);
      const plain = record(workload, rows, "node loop", baseline);
      const measured = await vialRun(env, input);
      const vial = record(workload, rows, "vial run", measured, startup);
      const key = `${workload}_${rows}`;
      same[key] = measured.outputSha256 === baseline.outputSha256;
      ratios[key] = Math.round((vial.rows_per_second / plain.rows_per_second) * 100) / 100;
      await rm(input);
    }
    const identity = runs.filter((r) => r.workload === "identity" && r.contender === "vial run");
    const results = {
      machine,
      workers: availableParallelism(),
      quick: values.quick,
      startup_seconds: Math.round(startup * 100) / 100,
      runs,
      /** vial run's rows/s over the loop's, same input, same run. */
      ratio_vial_to_loop: ratios,
      /** The output files are byte for byte the same. */
      same_output: same,
      /** Peak PSS of vial run's whole process tree, and its peak in each half of the run. */
      memory_identity_mib: Object.fromEntries(identity.map((r) => [String(r.rows), { peak: r.peak_pss_mib, by_half: r.peak_pss_mib_by_half }])),
      measured_at: new Date().toISOString(),
    };
    await writeFile(join(ROOT, "bench", "results", "offline.json"), JSON.stringify(results, null, 2) + "\n");
    console.log(JSON.stringify({ ratio_vial_to_loop: ratios, same_output: same, memory_identity_mib: results.memory_identity_mib, startup_seconds: results.startup_seconds }, null, 2));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
