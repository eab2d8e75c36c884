/**
 * Segments: a run's results, in input order, `chunk` rows each, written into
 * its folder as they come and published whole (run-folder.ts); then, at the
 * end, assembled into the output and the errors file.
 */
import { createReadStream } from "node:fs";
import { createInterface } from "node:readline";
import type { RunFolder } from "./run-folder.ts";
import type { BatchResult, RunRowError } from "./batch.ts";
import { ndjsonLines, textFile, writeOutput, type OutputRow, type OutputSpec } from "./formats/outputs.ts";

type TextFile = Awaited<ReturnType<typeof textFile>>;

export class SegmentWriter {
  private files?: { rows: TextFile; errors: TextFile };
  private rows = 0;
  private failed = 0;

  constructor(
    private readonly folder: RunFolder,
    private readonly chunkRows: number,
  ) {}

  /** Adds one batch's results (batches come in input order); publishes the segment once it holds `chunk` rows. */
  async add(result: BatchResult): Promise<void> {
    const segment = this.folder.segments.length;
    this.files ??= { rows: await textFile(`${this.folder.rowsFile(segment)}.tmp`), errors: await textFile(`${this.folder.errorsFile(segment)}.tmp`) };
    await this.files.rows.write(ndjsonLines(result.rows));
    await this.files.errors.write(errorLines(result.errors));
    this.rows += result.rows.length;
    this.failed += result.errors.length;
    if (this.rows >= this.chunkRows) await this.publish();
  }

  /** Publishes the last, shorter segment. */
  async finish(): Promise<void> {
    if (this.files) await this.publish();
  }

  private async publish(): Promise<void> {
    const { rows, errors } = this.files!;
    for (const file of [rows, errors]) {
      await file.handle.sync();
      await file.close();
    }
    await this.folder.commit(this.folder.segments.length, { rows: this.rows, failed: this.failed });
    this.files = undefined;
    this.rows = 0;
    this.failed = 0;
  }
}

const errorLines = (errors: RunRowError[]): string => errors.map((e) => JSON.stringify(e) + "\n").join("");

async function* lines(path: string): AsyncGenerator<string> {
  yield* createInterface({ input: createReadStream(path), crlfDelay: Infinity });
}

/** The segments' rows, one array per segment (for Parquet: one row group each). */
async function* segmentRows(folder: RunFolder): AsyncGenerator<OutputRow[]> {
  for (let segment = 0; segment < folder.segments.length; segment++) {
    const rows: OutputRow[] = [];
    for await (const line of lines(folder.rowsFile(segment))) rows.push(JSON.parse(line) as OutputRow);
    yield rows;
  }
}

/** Copies files one after the other into `target` (NDJSON segments are already the output's lines). */
async function concatenate(files: string[], target: string): Promise<void> {
  const out = await textFile(target);
  try {
    for (const file of files) for await (const chunk of createReadStream(file)) await out.handle.write(chunk as Buffer);
    await out.handle.sync();
  } finally {
    await out.close();
  }
}

/** Writes the whole output to `spec.path` and the errors to `errorsPath` (both temporary names: the caller renames). */
export async function assemble(folder: RunFolder, spec: OutputSpec, errorsPath: string): Promise<void> {
  const segments = folder.segments.map((_, k) => k);
  await concatenate(
    segments.map((k) => folder.errorsFile(k)),
    errorsPath,
  );
  if (spec.format === "ndjson") return concatenate(segments.map((k) => folder.rowsFile(k)), spec.path);
  await writeOutput(spec, segmentRows(folder));
}
