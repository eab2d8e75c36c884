/**
 * Parquet in and out (hyparquet, hyparquet-writer: pure JS). Reading goes a
 * slice of a row group at a time, so memory follows the slice, not the file;
 * writing takes one row group per call. Columns are matched to fields by
 * name; the file's key-value metadata carries the run's.
 */
import { asyncBufferFromFile, parquetMetadataAsync, parquetReadObjects, parquetSchema, type AsyncBuffer, type FileMetaData } from "hyparquet";
import { compressors } from "hyparquet-compressors";
import { ParquetWriter, fileWriter } from "hyparquet-writer";
import type { FieldSchema } from "../../runtime/schema.ts";
import { VialError } from "../../builds/errors.ts";
import type { InputRow, InputSource, Row, Selection } from "./format.ts";
import type { OutputSink } from "./outputs.ts";
import { fromParquet, parquetSchemaOf, toParquet } from "./parquet-values.ts";

const SLICE_ROWS = 65_536;

interface OpenFile {
  file: AsyncBuffer;
  metadata: FileMetaData;
  columns: string[];
}

async function open(path: string, fields: FieldSchema[]): Promise<OpenFile> {
  let file: AsyncBuffer;
  let metadata: FileMetaData;
  try {
    file = await asyncBufferFromFile(path);
    metadata = await parquetMetadataAsync(file);
  } catch (error) {
    throw new VialError(`${path} is not a Parquet file vial can read: ${(error as Error).message}`);
  }
  const present = new Set(parquetSchema(metadata).children.map((c) => c.element.name));
  const missing = fields.filter((f) => !present.has(f.name) && !(typeof f.type === "object" && "optional" in f.type));
  if (missing.length) {
    throw new VialError(`${path} has no column ${missing.map((f) => `'${f.name}'`).join(", ")} (its columns: ${[...present].join(", ")}): name the columns after the function's inputs`);
  }
  return { file, metadata, columns: fields.filter((f) => present.has(f.name)).map((f) => f.name) };
}

/** [start, end) row ranges of at most SLICE_ROWS, within row groups, from `from` on. */
function* slices(metadata: FileMetaData, from: number): Generator<[number, number]> {
  let groupStart = 0;
  for (const group of metadata.row_groups) {
    const groupEnd = groupStart + Number(group.num_rows);
    for (let start = Math.max(groupStart, from); start < groupEnd; start += SLICE_ROWS) yield [start, Math.min(start + SLICE_ROWS, groupEnd)];
    groupStart = groupEnd;
  }
}

/** The file's rows from `selection.fromIndex` on as values of `fields`, a slice at a time. */
async function* parquetRows(opened: OpenFile, fields: FieldSchema[], selection: Selection, read: { rows: number }): AsyncGenerator<Array<{ index: number; row: Row }>> {
  const { file, metadata, columns } = opened;
  for (const [rowStart, rowEnd] of slices(metadata, selection.fromIndex)) {
    const objects = await parquetReadObjects({ file, metadata, rowStart, rowEnd, columns, utf8: false, compressors, useOffsetIndex: true });
    const out: Array<{ index: number; row: Row }> = [];
    objects.forEach((object, i) => {
      const index = rowStart + i;
      if (!selection.select(index)) return;
      const row: Row = {};
      for (const f of fields) row[f.name] = fromParquet(f.type, object[f.name]);
      out.push({ index, row });
    });
    read.rows = rowEnd;
    if (out.length) yield out;
  }
}

export async function readParquet(path: string, fields: FieldSchema[], selection: Selection): Promise<InputSource> {
  const opened = await open(path, fields);
  const total = Number(opened.metadata.num_rows);
  const read = { rows: selection.fromIndex };
  async function* chunks(): AsyncGenerator<InputRow[]> {
    for await (const rows of parquetRows(opened, fields, selection, read)) yield rows.map(({ index, row }) => ({ index, json: JSON.stringify(row) }));
  }
  return { chunks: chunks(), position: () => ({ done: read.rows, total }), totalRows: total };
}

/** An output file's rows back as values (a failed row reads as a row of nulls). */
export async function* readParquetRows(path: string, fields: FieldSchema[]): AsyncGenerator<Row[]> {
  for await (const rows of parquetRows(await open(path, fields), fields, { fromIndex: 0, select: () => true }, { rows: 0 })) yield rows.map((r) => r.row);
}

/** The key-value metadata of a Parquet file. */
export async function parquetKeyValues(path: string): Promise<Record<string, string | undefined>> {
  const metadata = await parquetMetadataAsync(await asyncBufferFromFile(path));
  return Object.fromEntries((metadata.key_value_metadata ?? []).map(({ key, value }) => [key, value]));
}

/** Writes `path` a row group per `write`; the metadata goes in the footer. */
export function parquetSink(path: string, fields: FieldSchema[], keyValues: Record<string, string>, createdBy: string): OutputSink {
  let writer: ParquetWriter | undefined;
  return {
    start: async () => {
      const kvMetadata = Object.entries(keyValues).map(([key, value]) => ({ key, value }));
      writer = new ParquetWriter({ writer: fileWriter(path), schema: parquetSchemaOf(fields), kvMetadata, createdBy });
    },
    write: async (rows) => {
      if (rows.length === 0) return;
      const columnData = fields.map((f) => ({ name: f.name, data: rows.map((row) => (row ? toParquet(f.type, row[f.name]) : null)) }));
      await writer!.write({ columnData, rowGroupSize: rows.length });
    },
    finish: async () => writer!.finish(),
  };
}
