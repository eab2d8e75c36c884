/**
 * `vial run`: a file of rows through one version of a function, the way the
 * host runs it, into a file of results in the same order.
 *
 * The input is read as it is consumed: at most two batches per worker are in
 * flight, and results are written in order as soon as the oldest is back, so
 * memory holds a few batches and one segment whatever the file's size. The
 * output appears only once whole (assembled from the run's segments, then
 * renamed); a run that stops leaves its folder, which --resume continues.
 */
import { rename, rm } from "node:fs/promises";
import type { Store } from "../builds/store.ts";
import type { Logger } from "pino";
import { resolvePolicy, type PoolSettings } from "../supervision/policy.ts";
import type { InputRow, InputSource, Selection } from "./formats/format.ts";
import { readNdjson } from "./formats/ndjson.ts";
import { readCsv } from "./formats/csv.ts";
import { readParquet } from "./formats/parquet.ts";
import { planRun, type Plan, type PlanOptions } from "./plan.ts";
import { RunFolder } from "./run-folder.ts";
import { SegmentWriter, assemble } from "./segments.ts";
import { runBatch, type BatchResult } from "./batch.ts";
import { Workers } from "./workers.ts";
import { METADATA_KEY, VIAL_VERSION, sidecarPath, writeSidecar, type RunMetadata } from "./metadata.ts";
import { showProgress } from "./progress.ts";

export interface RunOptions extends PlanOptions {
  store: Store;
  workers: number;
  /** Each call's deadline (a whole batch). */
  deadlineMs: number;
  /** Pool settings from the host's configuration: engine, memory and output limits. */
  pool?: PoolSettings;
  log: Logger;
  progress?: { stream: NodeJS.WriteStream; everyMs: number };
}

export interface RunSummary {
  metadata: RunMetadata;
  output: string;
  errors: string;
  /** Rows taken over from an interrupted run. */
  resumedRows: number;
  seconds: number;
}

function openInput(plan: Plan, selection: Selection): Promise<InputSource> {
  if (plan.inputFormat === "csv") return readCsv(plan.input, plan.function.inputs, selection);
  if (plan.inputFormat === "parquet") return readParquet(plan.input, plan.function.inputs, selection);
  return readNdjson(plan.input, selection);
}

async function* batches(chunks: AsyncIterable<InputRow[]>, size: number): AsyncGenerator<InputRow[]> {
  let batch: InputRow[] = [];
  for await (const chunk of chunks) {
    for (const row of chunk) {
      batch.push(row);
      if (batch.length === size) {
        yield batch;
        batch = [];
      }
    }
  }
  if (batch.length) yield batch;
}

/** The rows this run reads: its shard's, from where the segments already written end. */
function selection(plan: Plan, rowsDone: number): Selection {
  const shard = plan.shard;
  if (!shard) return { fromIndex: rowsDone, select: () => true };
  return { fromIndex: shard.index + rowsDone * shard.count, select: (i) => i % shard.count === shard.index };
}

export async function runFile(opts: RunOptions): Promise<RunSummary> {
  const started = performance.now();
  const plan = await planRun(opts);
  const folder = await RunFolder.open(plan.output, plan.identity, opts.resume);
  const resumedRows = folder.totals().rows;
  if (resumedRows === 0) await Promise.all([plan.output, sidecarPath(plan.output), plan.errors].map((f) => rm(f, { force: true })));

  const policy = { ...resolvePolicy(opts.pool, {}), size: 1, maxQueue: 4, deadlineMs: opts.deadlineMs };
  const workers = await Workers.start({ store: opts.store, env: plan.identity.env, version: plan.identity.version, count: opts.workers, policy, log: opts.log });
  const counts = { ...folder.totals() };
  let source: InputSource | undefined;
  const progress =
    opts.progress &&
    showProgress({ rows: () => counts.rows, failed: () => counts.failed, position: () => source?.position() ?? { done: 0, total: 1 } }, opts.progress.stream, opts.progress.everyMs);
  try {
    source = await openInput(plan, selection(plan, resumedRows));
    const writer = new SegmentWriter(folder, plan.identity.chunk);
    const write = async (result: BatchResult) => {
      await writer.add(result);
      counts.rows += result.rows.length;
      counts.failed += result.errors.length;
    };
    const window = workers.all.length * 2;
    const pending: Array<Promise<BatchResult>> = [];
    try {
      for await (const batch of batches(source.chunks, plan.identity.batch)) {
        const result = runBatch(workers.leastBusy(), plan.function, batch);
        result.catch(() => {}); // awaited in turn below; a failure must not count as unhandled before then
        pending.push(result);
        while (pending.length >= window) await write(await pending.shift()!);
      }
      while (pending.length) await write(await pending.shift()!);
    } finally {
      await Promise.allSettled(pending);
    }
    await writer.finish();
  } finally {
    progress?.stop();
    await workers.close();
  }

  const totals = folder.totals();
  const metadata: RunMetadata = {
    env: plan.identity.env,
    function: plan.function.name,
    version: plan.identity.version,
    engine: { version: workers.engine.version, running: workers.engine.running },
    input: { path: plan.input, format: plan.inputFormat, bytes: plan.identity.input.bytes },
    output: { format: plan.outputFormat, outputs: plan.function.outputs },
    errors: plan.errors,
    rows: totals.rows,
    failed: totals.failed,
    shard: plan.identity.shard,
    batch: plan.identity.batch,
    chunk: plan.identity.chunk,
    vial: VIAL_VERSION,
  };
  await publish(folder, plan, metadata);
  return { metadata, output: plan.output, errors: plan.errors, resumedRows, seconds: (performance.now() - started) / 1000 };
}

/** Assembles the output under temporary names, then renames it into place: the errors, the metadata, the output last. */
async function publish(folder: RunFolder, plan: Pick<Plan, "output" | "outputFormat" | "errors">, metadata: RunMetadata): Promise<void> {
  const outputTemp = `${folder.dir}/output.tmp`;
  const errorsTemp = `${plan.errors}.tmp-${process.pid}`;
  const spec = { format: plan.outputFormat, path: outputTemp, fields: metadata.output.outputs, keyValues: { [METADATA_KEY]: JSON.stringify(metadata) }, createdBy: `vial ${VIAL_VERSION}` };
  try {
    await assemble(folder, spec, errorsTemp);
    await rename(errorsTemp, plan.errors);
    if (plan.outputFormat !== "parquet") await writeSidecar(plan.output, metadata);
    await rename(outputTemp, plan.output);
  } finally {
    await rm(errorsTemp, { force: true });
  }
  await folder.remove();
}
