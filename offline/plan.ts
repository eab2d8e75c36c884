/**
 * What a run will do, settled before any executor starts: the version (the
 * one named, the interrupted run's when resuming, or the current one), the
 * function, the formats, the shard, and the paths it writes.
 */
import { stat } from "node:fs/promises";
import { resolve } from "node:path";
import type { Store } from "../builds/store.ts";
import { VialError } from "../builds/errors.ts";
import type { FunctionSchema } from "../runtime/schema.ts";
import { formatOf, type FileFormat } from "./formats/format.ts";
import { RunFolder, type RunIdentity } from "./run-folder.ts";

export interface Shard {
  index: number;
  count: number;
}

/** "i/n", 0 <= i < n. */
export function parseShard(text: string): Shard {
  const match = /^(\d+)\/(\d+)$/.exec(text);
  const index = Number(match?.[1]);
  const count = Number(match?.[2]);
  if (!match || count < 1 || index >= count) throw new VialError(`--shard must be i/n with 0 <= i < n (as a Kubernetes indexed Job's JOB_COMPLETION_INDEX/completions), got '${text}'`);
  return { index, count };
}

export interface PlanOptions {
  store: Store;
  env: string;
  fn: string;
  input: string;
  output: string;
  version?: string;
  errors?: string;
  inputFormat?: string;
  format?: string;
  /** Rows per call (default 1000, or the interrupted run's when resuming). */
  batch?: number;
  /** Rows per checkpoint (default about 64 thousand, or the interrupted run's). */
  chunk?: number;
  shard?: Shard;
  resume: boolean;
}

export interface Plan {
  identity: RunIdentity;
  function: FunctionSchema;
  inputFormat: FileFormat;
  outputFormat: FileFormat;
  input: string;
  output: string;
  errors: string;
  shard?: Shard;
}

export const DEFAULT_BATCH = 1000;

/** Rows per checkpoint unless told: whole batches, about 64 thousand rows. */
const defaultChunk = (batch: number) => batch * Math.max(1, Math.round(65_536 / batch));

export async function planRun(opts: PlanOptions): Promise<Plan> {
  const input = resolve(opts.input);
  const output = resolve(opts.output);
  if (input === output) throw new VialError("--output must be another file than --input");
  const info = await stat(input).catch(() => undefined);
  if (!info?.isFile()) throw new VialError(`input ${opts.input} does not exist or is not a file`);
  const interrupted = opts.resume ? await RunFolder.interrupted(output) : undefined;
  const batch = opts.batch ?? interrupted?.batch ?? DEFAULT_BATCH;
  if (!Number.isInteger(batch) || batch < 1) throw new VialError(`--batch must be a whole number of rows, at least 1, got ${batch}`);
  const chunk = opts.chunk ?? (interrupted?.batch === batch ? interrupted.chunk : defaultChunk(batch));
  if (!Number.isInteger(chunk) || chunk < batch || chunk % batch !== 0) throw new VialError(`--chunk must be a multiple of --batch (${batch}), got ${chunk}`);
  const inputFormat = formatOf(input, opts.inputFormat);
  const outputFormat = formatOf(output, opts.format);

  await opts.store.readEnvironment(opts.env);
  const version = opts.version ?? interrupted?.version ?? (await opts.store.current(opts.env))?.version;
  if (!version) throw new VialError(`environment '${opts.env}' has no deployed version: deploy one with 'vial deploy <module> --env ${opts.env}', or name one with --version`);
  const manifest = await opts.store.readManifest(opts.env, version);
  const fn = manifest.functions.find((f) => f.name === opts.fn);
  if (!fn) throw new VialError(`${opts.env}@${version} has no function '${opts.fn}' (has: ${manifest.functions.map((f) => f.name).join(", ")})`);

  return {
    identity: {
      input: { path: input, bytes: info.size, modifiedMs: info.mtimeMs, format: inputFormat },
      output: { format: outputFormat },
      env: opts.env,
      function: fn.name,
      version,
      batch,
      chunk,
      shard: opts.shard ? `${opts.shard.index}/${opts.shard.count}` : null,
    },
    function: fn,
    inputFormat,
    outputFormat,
    input,
    output,
    errors: resolve(opts.errors ?? `${opts.output}.errors.ndjson`),
    shard: opts.shard,
  };
}
