/**
 * `vial run` end to end: real versions (the conformance functions, the fuzzy
 * example), real executors, a real host on loopback to compare with, real
 * files. The rows it writes are the rows `POST /v1/invoke` answers; bad rows
 * cost those rows only; a killed run resumes into the same bytes; shards
 * merge into the file one run writes.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import fc from "fast-check";
import { parse } from "csv-parse/sync";
import { stringify } from "csv-stringify/sync";
import type { Store } from "../../builds/store.ts";
import { createEnvironment } from "../../builds/env-create.ts";
import { deploy } from "../../builds/deploy.ts";
import { serve, type Serving } from "../../host/serve.ts";
import { createLogger } from "../../host/logger.ts";
import type { FunctionSchema } from "../../runtime/schema.ts";
import { runFile, type RunOptions } from "../../offline/run.ts";
import { mergeShards } from "../../offline/merge.ts";
import { valueToCell } from "../../offline/formats/cells.ts";
import { eventually, REPO, tempStore } from "../host/helpers.ts";
import { arbitraryRow, requestRow } from "../types/values.ts";
import { invokeOverHttp, mirrorRows, random, readParquetIndependently, writeParquetIndependently } from "./helpers.ts";

const CONFORMANCE = fileURLToPath(new URL("../conformance/fixtures/", import.meta.url));
const VIAL = join(REPO, "bin", "vial.js");
const BATCH = 40;
const log = createLogger("warn", 2);

let store: Store;
let server: Serving;
let dir: string;

beforeAll(async () => {
  store = await tempStore();
  dir = await mkdtemp(join(tmpdir(), "vial-run-test-"));
  await createEnvironment({ name: "conf", requirements: join(CONFORMANCE, "package.json"), engine: "v8", store });
  await deploy({ store, env: "conf", modulePath: join(CONFORMANCE, "conformance.ts") });
  await createEnvironment({ name: "fuzzy", requirements: join(REPO, "examples/fuzzy-similarity/package.json"), store });
  await deploy({ store, env: "fuzzy", modulePath: join(REPO, "examples/fuzzy-similarity/features.ts") });
  server = await serve({ store, logger: createLogger("warn"), watch: false, config: { port: 0, pool: { size: 2, deadlineMs: 10_000 } } });
  await server.host.ready;
}, 600_000);

afterAll(async () => {
  await server?.shutdown();
  for (const path of [store?.root, dir]) if (path) await rm(path, { recursive: true, force: true });
});

const run = (env: string, fn: string, input: string, output: string, extra: Partial<RunOptions> = {}) =>
  runFile({ store, env, fn, input, output, batch: BATCH, workers: 2, deadlineMs: 10_000, resume: false, log, ...extra });

const writeNdjson = (path: string, rows: unknown[]) => writeFile(path, rows.map((r) => JSON.stringify(r)).join("\n") + "\n");
const jsonLines = async (path: string) => (await readFile(path, "utf8")).trimEnd().split("\n").filter(Boolean).map((l) => JSON.parse(l));

async function schemaOf(env: string, fn: string): Promise<FunctionSchema> {
  const version = (await store.current(env))!.version;
  return (await store.readManifest(env, version)).functions.find((f) => f.name === fn)!;
}

/** Runs the vial CLI; resolves with its exit code and output. */
function vial(args: string[]): { child: ReturnType<typeof spawn>; done: Promise<{ code: number | null; stdout: string; stderr: string }> } {
  const child = spawn(process.execPath, [VIAL, ...args, "--store", store.root], { cwd: REPO, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout!.on("data", (d: Buffer) => (stdout += d));
  child.stderr!.on("data", (d: Buffer) => (stderr += d));
  return { child, done: new Promise((resolve) => child.on("close", (code) => resolve({ code, stdout, stderr }))) };
}

const r = random(11);
const CASES: Array<[string, string, string, unknown[]]> = [
  ["every type, bytes, optional and arrays", "conf", "mirror", mirrorRows(300)],
  ["per-row errors", "conf", "inverse", Array.from({ length: 200 }, (_, i) => ({ x: i % 7 === 0 ? 0 : r() * 10 - 5 }))],
  ["outputs that break the schema", "conf", "wrong_output", Array.from({ length: 120 }, (_, i) => ({ x: i, how: ["fine", "type", "missing"][i % 3] }))],
  ["a batch function (same batches)", "conf", "ranks", Array.from({ length: 130 }, () => ({ score: Math.round(r() * 50) }))],
  ["a batch function that refuses its batches", "conf", "batch_fails", Array.from({ length: 90 }, (_, i) => ({ x: i }))],
  ["the fuzzy example", "fuzzy", "fuzzy_similarity", Array.from({ length: 400 }, (_, i) => ({ text: `${["brownie", "mocha bars", "fudge", ""][i % 4]} ${i}` }))],
];

describe("vial run writes what POST /v1/invoke answers", () => {
  it.each(CASES)("%s", async (_name, env, fn, rows) => {
    const input = join(dir, `${fn}.ndjson`);
    const output = join(dir, `${fn}.out.ndjson`);
    await writeNdjson(input, rows);
    const host = await invokeOverHttp(server.address, env, fn, rows, BATCH);
    const summary = await run(env, fn, input, output);
    expect(await jsonLines(output)).toEqual(host.rows);
    const errors = await jsonLines(summary.errors);
    expect(errors.map(({ row, error }) => ({ row, error }))).toEqual(host.errors);
    for (const e of errors) expect(e.line).toBe(e.row + 1);
    expect(summary.metadata).toMatchObject({ env, function: fn, version: (await store.current(env))!.version, rows: rows.length, failed: host.errors.length });
    expect(JSON.parse(await readFile(`${output}.meta.json`, "utf8"))).toEqual(summary.metadata);
  });

  it("reads CSV and Parquet (written by arrow-rs) into the same rows, and writes CSV and Parquet cell for cell", async () => {
    const rows = mirrorRows(300, 3);
    const mirror = await schemaOf("conf", "mirror");
    const host = await invokeOverHttp(server.address, "conf", "mirror", rows, BATCH);
    const csvInput = join(dir, "mirror-in.csv");
    await writeFile(csvInput, stringify([mirror.inputs.map((f) => f.name), ...rows.map((row) => mirror.inputs.map((f) => valueToCell(row[f.name])))]));
    const parquetInput = join(dir, "mirror-in.parquet");
    await writeParquetIndependently(parquetInput, mirror.inputs, rows);
    for (const input of [csvInput, parquetInput]) {
      await run("conf", "mirror", input, join(dir, "from-file.ndjson"));
      expect(await jsonLines(join(dir, "from-file.ndjson")), input).toEqual(host.rows);
    }
    const ndjsonInput = join(dir, "mirror-in.ndjson");
    await writeNdjson(ndjsonInput, rows);
    await run("conf", "mirror", ndjsonInput, join(dir, "mirror.csv"));
    const cells = parse(await readFile(join(dir, "mirror.csv"), "utf8")) as string[][];
    expect(cells).toEqual([mirror.outputs.map((f) => f.name), ...host.rows.map((row) => mirror.outputs.map((f) => valueToCell((row as Record<string, unknown> | null)?.[f.name])))]);
    const summary = await run("conf", "mirror", ndjsonInput, join(dir, "mirror.parquet"));
    const parquet = await readParquetIndependently(join(dir, "mirror.parquet"));
    expect(parquet.rows).toEqual(host.rows.map((row) => Object.fromEntries(mirror.outputs.map((f) => [f.name, (row as Record<string, unknown>)[f.name] ?? null]))));
    expect(JSON.parse(parquet.metadata.get("vial")!)).toEqual(summary.metadata);
  });
});

describe("vial run over the field's types and named inputs, from NDJSON and CSV, writes what POST /v1/invoke answers", () => {
  it.each(["mirror_types", "amount_vs_average", "spend_columns"])("%s", async (fn) => {
    const { inputs } = await schemaOf("conf", fn);
    const rows = fc.sample(arbitraryRow(inputs), { numRuns: 150, seed: 5 }).map((row) => requestRow(inputs, row, "json"));
    const input = join(dir, `${fn}.ndjson`);
    await writeNdjson(input, rows);
    const host = await invokeOverHttp(server.address, "conf", fn, rows, BATCH);
    const summary = await run("conf", fn, input, join(dir, `${fn}.out.ndjson`));
    expect(await jsonLines(join(dir, `${fn}.out.ndjson`))).toEqual(host.rows);
    expect((await jsonLines(summary.errors)).map(({ row, error }) => ({ row, error }))).toEqual(host.errors);
    const csvInput = join(dir, `${fn}.csv`);
    await writeFile(csvInput, stringify([inputs.map((f) => f.name), ...rows.map((row) => inputs.map((f) => valueToCell(row[f.name])))]));
    await run("conf", fn, csvInput, join(dir, `${fn}.from-csv.ndjson`));
    expect(await jsonLines(join(dir, `${fn}.from-csv.ndjson`))).toEqual(host.rows);
    expect(host.rows.some(Boolean)).toBe(true); // random rows: some batches may fail as a whole in columns mode, alike on both paths
  });
});

describe("failed rows", () => {
  it("a row that breaks the schema, a line that is not JSON and a row past its deadline fail alone, named by line and field", async () => {
    const input = join(dir, "draw.ndjson");
    await writeFile(input, ['{"work":1}', '{"work":"lots"}', "", "not json", '{"work":100000000000}', '{"work":2}'].join("\n"));
    const summary = await run("conf", "draw", input, join(dir, "draw.out.ndjson"), { workers: 1, deadlineMs: 1000, batch: 10 });
    const errors = await jsonLines(summary.errors);
    expect(errors.map(({ row, line }) => [row, line])).toEqual([
      [1, 2],
      [2, 4],
      [3, 5],
    ]);
    expect(errors[0].error).toBe("field 'work': expected int64, got string");
    expect(errors[1].error).toMatch(/^not valid JSON/);
    expect(errors[2].error).toMatch(/conf\/draw ran past its 1000 ms deadline/);
    const out = await jsonLines(join(dir, "draw.out.ndjson"));
    expect(out.map((row) => row === null)).toEqual([false, true, true, true, false]);
  });

  it("exits non-zero when rows failed unless --allow-errors, and refuses bad options in one line", async () => {
    const input = join(dir, "inverse-cli.ndjson");
    await writeNdjson(input, [{ x: 1 }, { x: 0 }, { x: 2 }]);
    const args = ["run", "--env", "conf", "--fn", "inverse", "--input", input, "--output", join(dir, "inverse-cli.ndjson.out"), "--format", "ndjson", "--workers", "1"];
    const failed = await vial(args).done;
    expect(failed.code).toBe(1);
    expect(failed.stderr).toMatch(/^error: 1 of 3 rows failed \(null in the output\): see .*inverse-cli\.ndjson\.out\.errors\.ndjson \(--allow-errors/m);
    expect(failed.stdout).toMatch(/wrote 3 rows to .* conf@\w+ inverse on v8/);
    expect((await vial([...args, "--allow-errors"]).done).code).toBe(0);
    for (const [extra, message] of [
      [["--shard", "3/3"], /^error: --shard must be i\/n with 0 <= i < n/m],
      [["--fn", "nope"], /^error: conf@\w+ has no function 'nope' \(has: .*\bbatch_fails, .*\bmirror\b/m],
      [["--batch", "0"], /^error: --batch must be a whole number, at least 1, got '0'/m],
    ] as const) {
      const result = await vial([...args, ...extra]).done;
      expect(result.code, extra.join(" ")).toBe(1);
      expect(result.stderr).toMatch(message);
    }
  });
});

describe("interrupted and sharded runs", () => {
  it("a killed run leaves no output; --resume finishes it into the same bytes as a run never stopped", async () => {
    const input = join(dir, "texts.ndjson");
    await writeNdjson(input, Array.from({ length: 40_000 }, (_, i) => ({ text: `mocha brownie ${i}` })));
    const output = join(dir, "texts.parquet");
    const args = ["run", "--env", "fuzzy", "--fn", "fuzzy_similarity", "--input", input, "--output", output, "--batch", "10", "--chunk", "200", "--workers", "1"];
    expect((await vial(args).done).code).toBe(0);
    const whole = await readFile(output);
    await rm(output);

    const killed = vial(args);
    const checkpoint = join(`${output}.partial`, "checkpoint.json");
    await eventually(async () => existsSync(checkpoint) && JSON.parse(await readFile(checkpoint, "utf8")).segments.length >= 3, 20);
    killed.child.kill("SIGKILL");
    await killed.done;
    expect(existsSync(output)).toBe(false);

    const refused = await vial(args).done;
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/an interrupted run left .*texts\.parquet\.partial: continue it with --resume/);
    const resumed = await vial([...args, "--resume"]).done;
    expect(resumed.code).toBe(0);
    expect(resumed.stdout).toMatch(/of them from the interrupted run/);
    expect(Buffer.compare(await readFile(output), whole)).toBe(0);
    expect(existsSync(`${output}.partial`)).toBe(false);
  });

  it.each(["ndjson", "parquet"])("three shards merged are the file one run writes (%s)", async (format) => {
    const input = join(dir, "shard-in.ndjson");
    await writeNdjson(input, Array.from({ length: 500 }, (_, i) => ({ x: i % 11 === 0 ? 0 : i })));
    const output = join(dir, `shards.${format}`);
    await run("conf", "inverse", input, output);
    const [whole, wholeErrors] = await Promise.all([readFile(output), readFile(`${output}.errors.ndjson`)]);
    const wholeMeta = format === "ndjson" ? await readFile(`${output}.meta.json`, "utf8") : undefined;
    await Promise.all([output, `${output}.errors.ndjson`, `${output}.meta.json`].map((f) => rm(f, { force: true })));

    const parts = [0, 1, 2].map((i) => join(dir, `part-${i}.${format}`));
    for (const [i, part] of parts.entries()) await run("conf", "inverse", input, part, { shard: { index: i, count: 3 } });
    await expect(mergeShards({ parts: parts.slice(0, 2), output })).rejects.toThrow(/the parts must be the 3 shards of one run, each once: missing 2\/3/);
    await mergeShards({ parts: [parts[2]!, parts[0]!, parts[1]!], output });
    expect(Buffer.compare(await readFile(output), whole)).toBe(0);
    expect((await readFile(`${output}.errors.ndjson`)).equals(wholeErrors)).toBe(true);
    if (wholeMeta) expect(await readFile(`${output}.meta.json`, "utf8")).toBe(wholeMeta);
  });
});
