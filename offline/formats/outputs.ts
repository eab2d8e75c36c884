/**
 * Output files: written from batches of rows as the host answers them (a
 * failed row is null), and read back the same way (to merge shards). NDJSON
 * writes each row as the host's JSON does; CSV and Parquet go through
 * csv.ts and parquet.ts.
 */
import { open, type FileHandle } from "node:fs/promises";
import type { FieldSchema } from "../../runtime/schema.ts";
import type { FileFormat, Row } from "./format.ts";
import { readNdjson } from "./ndjson.ts";
import { csvSink, readCsvRows } from "./csv.ts";
import { parquetSink, readParquetRows } from "./parquet.ts";

export type OutputRow = Row | null;

export interface OutputSink {
  start(): Promise<void>;
  /** One batch of rows; for Parquet, one row group. */
  write(rows: OutputRow[]): Promise<void>;
  finish(): Promise<void>;
}

export interface OutputSpec {
  format: FileFormat;
  path: string;
  fields: FieldSchema[];
  /** Parquet key-value metadata (NDJSON and CSV keep theirs in a sidecar). */
  keyValues: Record<string, string>;
  createdBy: string;
}

export const ndjsonLines = (rows: OutputRow[]): string => {
  let text = "";
  for (const row of rows) text += JSON.stringify(row) + "\n";
  return text;
};

/** Writes text through one file handle, in order. */
export async function textFile(path: string): Promise<{ write(text: string): Promise<void>; close(): Promise<void>; handle: FileHandle }> {
  const handle = await open(path, "w");
  return {
    handle,
    write: async (text) => {
      if (text) await handle.write(text);
    },
    close: () => handle.close(),
  };
}

export async function writeOutput(spec: OutputSpec, batches: AsyncIterable<OutputRow[]> | Iterable<OutputRow[]>): Promise<void> {
  if (spec.format === "parquet") {
    const sink = parquetSink(spec.path, spec.fields, spec.keyValues, spec.createdBy);
    await sink.start();
    for await (const rows of batches) await sink.write(rows);
    return sink.finish();
  }
  const file = await textFile(spec.path);
  try {
    const sink = spec.format === "csv" ? csvSink(spec.fields, file.write) : { start: async () => {}, write: (rows: OutputRow[]) => file.write(ndjsonLines(rows)), finish: async () => {} };
    await sink.start();
    for await (const rows of batches) await sink.write(rows);
    await sink.finish();
    await file.handle.sync();
  } finally {
    await file.close();
  }
}

/** An output file's rows, a batch at a time. */
export async function* readOutput(format: FileFormat, path: string, fields: FieldSchema[]): AsyncGenerator<OutputRow[]> {
  if (format === "csv") return yield* readCsvRows(path, fields);
  if (format === "parquet") return yield* readParquetRows(path, fields);
  const source = await readNdjson(path, { fromIndex: 0, select: () => true });
  for await (const rows of source.chunks) yield rows.map((r) => JSON.parse(r.json) as OutputRow);
}
