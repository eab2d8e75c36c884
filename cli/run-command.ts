/** `vial run` and `vial merge`: their options, checked, and what they print. main.ts only declares them. */
import { availableParallelism } from "node:os";
import { Command, Option } from "commander";
import { Store } from "../builds/store.ts";
import { VialError } from "../builds/errors.ts";
import { loadConfig } from "../host/config.ts";
import { createLogger } from "../host/logger.ts";
import { FILE_FORMATS } from "../offline/formats/format.ts";
import { parseShard, type PlanOptions } from "../offline/plan.ts";
import { runFile, type RunSummary } from "../offline/run.ts";
import { mergeShards } from "../offline/merge.ts";

const DEFAULT_DEADLINE_MS = 60_000;

function positiveInteger(flag: string) {
  return (text: string): number => {
    const n = Number(text);
    if (!Number.isInteger(n) || n < 1) throw new VialError(`${flag} must be a whole number, at least 1, got '${text}'`);
    return n;
  };
}

interface RunCommandOptions extends Pick<PlanOptions, "env" | "fn" | "input" | "output" | "version" | "errors" | "format" | "inputFormat" | "batch" | "chunk"> {
  workers: number;
  resume?: boolean;
  shard?: string;
  allowErrors?: boolean;
  deadline: number;
  config?: string;
  store?: string;
  progressEvery: number;
}

const rate = (rows: number, seconds: number) => Math.round(rows / Math.max(seconds, 1e-3)).toLocaleString("en-US");

function report(summary: RunSummary, allowErrors: boolean): void {
  const { metadata: m } = summary;
  const resumed = summary.resumedRows ? ` (${summary.resumedRows.toLocaleString("en-US")} of them from the interrupted run)` : "";
  console.log(
    `wrote ${m.rows.toLocaleString("en-US")} rows${resumed} to ${summary.output}: ${m.env}@${m.version} ${m.function} on ${m.engine.running}` +
      `${m.shard ? `, shard ${m.shard}` : ""}, ${summary.seconds.toFixed(1)} s, ${rate(m.rows - summary.resumedRows, summary.seconds)} rows/s`,
  );
  if (m.failed === 0) return;
  const message = `${m.failed.toLocaleString("en-US")} of ${m.rows.toLocaleString("en-US")} rows failed (null in the output): see ${summary.errors}`;
  if (!allowErrors) throw new VialError(`${message} (--allow-errors accepts a run with failed rows)`);
  console.log(message);
}

async function runCommand(opts: RunCommandOptions): Promise<void> {
  const config = loadConfig({ file: opts.config, overrides: { store: opts.store } });
  process.once("SIGINT", () => {
    process.stderr.write(`\ninterrupted: run the same command with --resume to continue where the last complete chunk ended\n`);
    process.exit(130);
  });
  const { env, fn, input, output, version, errors, inputFormat, format, batch, chunk } = opts;
  const summary = await runFile({
    ...{ env, fn, input, output, version, errors, inputFormat, format, batch, chunk },
    store: new Store(config.store),
    shard: opts.shard === undefined ? undefined : parseShard(opts.shard),
    resume: opts.resume === true,
    workers: opts.workers,
    deadlineMs: opts.deadline,
    pool: { ...config.pool, ...config.environments[opts.env] },
    // Routine instance replacements (recycled isolates, a row past its deadline) would break the progress line; failures still show.
    log: createLogger("error", 2),
    progress: { stream: process.stderr, everyMs: opts.progressEvery * 1000 },
  });
  report(summary, opts.allowErrors === true);
}

export function registerRunCommands(program: Command, storeOption: () => Option): void {
  program
    .command("run")
    .description("run a function over a file of rows (NDJSON, CSV or Parquet) the way the host runs it, into a file of results in the same order")
    .requiredOption("--env <env>", "environment")
    .requiredOption("--fn <name>", "function")
    .requiredOption("--input <file>", "rows to read: .ndjson/.jsonl, .csv (with a header) or .parquet")
    .requiredOption("--output <file>", "where the results go, one per input row in order (a failed row is null)")
    .option("--version <version>", "version to run (default: the current one; when resuming, the interrupted run's)")
    .option("--errors <file>", "failed rows, one JSON object per line: row, line, error (default <output>.errors.ndjson)")
    .addOption(new Option("--format <format>", "output format (default: from --output's extension)").choices([...FILE_FORMATS]))
    .addOption(new Option("--input-format <format>", "input format (default: from --input's extension)").choices([...FILE_FORMATS]))
    .option("--batch <rows>", "rows per call (default 1000)", positiveInteger("--batch"))
    .option("--chunk <rows>", "rows per checkpoint, a multiple of --batch (default about 65,000)", positiveInteger("--chunk"))
    .option("--workers <n>", "executors, each with one instance (as many as cores)", positiveInteger("--workers"), availableParallelism())
    .option("--resume", "continue an interrupted run into the same output where its last complete chunk ended")
    .option("--shard <i/n>", "take only the rows whose index modulo n is i (merge the parts with 'vial merge')")
    .option("--allow-errors", "exit 0 even when some rows failed")
    .option("--deadline <ms>", "stop a call (one batch) after this long; its rows are retried in halves", positiveInteger("--deadline"), DEFAULT_DEADLINE_MS)
    .option("--config <file>", "host configuration: the environment's engine, memoryMiB and output limit apply")
    .option("--progress-every <seconds>", "when stderr is not a terminal, a progress line this often", positiveInteger("--progress-every"), 10)
    .addOption(storeOption())
    .action(runCommand);

  program
    .command("merge <parts...>")
    .description("merge the outputs of 'vial run --shard i/n' (all n of them) into the output one run over the whole input writes")
    .requiredOption("--output <file>", "the merged output (format from its parts)")
    .option("--errors <file>", "the merged failed rows (default <output>.errors.ndjson)")
    .action(async (parts: string[], opts: { output: string; errors?: string }) => {
      const merged = await mergeShards({ parts, output: opts.output, errors: opts.errors });
      console.log(`merged ${parts.length} shards into ${opts.output}: ${merged.rows.toLocaleString("en-US")} rows, ${merged.failed.toLocaleString("en-US")} failed`);
    });
}
