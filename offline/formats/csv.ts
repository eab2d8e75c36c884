/**
 * CSV in and out, with a header row. Columns are matched to fields by name
 * (other columns are ignored); cells become values by the field's type
 * (cells.ts). Quoted cells may span lines: line numbers are csv-parse's.
 */
import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import { parse } from "csv-parse";
import { stringify } from "csv-stringify/sync";
import type { FieldSchema } from "../../runtime/schema.ts";
import { VialError } from "../../builds/errors.ts";
import { cellToValue, valueToCell } from "./cells.ts";
import type { InputRow, InputSource, Row, Selection } from "./format.ts";
import type { OutputSink } from "./outputs.ts";

const CHUNK_ROWS = 1024;

interface Record {
  record: string[];
  info: { lines: number };
}

/** Rows of a CSV file as values of `fields`, a few at a time (`line` is the record's last line). */
async function* csvRecords(path: string, fields: FieldSchema[], selection: Selection, stream: NodeJS.ReadableStream): AsyncGenerator<Array<{ index: number; line: number; row: Row }>> {
  const parser = stream.pipe(parse({ bom: true, info: true, relax_column_count: true, skip_empty_lines: true }));
  let columns: Array<{ field: FieldSchema; column: number }> | undefined;
  let index = 0;
  let out: Array<{ index: number; line: number; row: Row }> = [];
  try {
    for await (const { record, info } of parser as AsyncIterable<Record>) {
      if (!columns) {
        columns = matchColumns(path, fields, record);
        continue;
      }
      const i = index++;
      if (i < selection.fromIndex || !selection.select(i)) continue;
      const row: Row = {};
      for (const { field, column } of columns) row[field.name] = column < 0 ? null : cellToValue(field.type, record[column]);
      out.push({ index: i, line: info.lines, row });
      if (out.length >= CHUNK_ROWS) {
        yield out;
        out = [];
      }
    }
  } catch (error) {
    if (error instanceof VialError) throw error;
    throw new VialError(`${path} is not valid CSV: ${(error as Error).message}`);
  }
  if (out.length) yield out;
}

/** Each field's column; a field with no column is refused unless it may be null. */
function matchColumns(path: string, fields: FieldSchema[], header: string[]): Array<{ field: FieldSchema; column: number }> {
  const matched = fields.map((field) => ({ field, column: header.indexOf(field.name) }));
  const missing = matched.filter((m) => m.column < 0 && !(typeof m.field.type === "object" && "optional" in m.field.type));
  if (missing.length) {
    throw new VialError(`${path} has no column ${missing.map((m) => `'${m.field.name}'`).join(", ")} (its header: ${header.join(", ")}): name the columns after the function's inputs`);
  }
  return matched;
}

export async function readCsv(path: string, fields: FieldSchema[], selection: Selection): Promise<InputSource> {
  const total = (await stat(path)).size;
  const stream = createReadStream(path, { highWaterMark: 1 << 20 });
  async function* chunks(): AsyncGenerator<InputRow[]> {
    for await (const records of csvRecords(path, fields, selection, stream)) {
      yield records.map(({ index, line, row }) => ({ index, line, json: JSON.stringify(row) }));
    }
  }
  return { chunks: chunks(), position: () => ({ done: stream.bytesRead, total }) };
}

/** An output file's rows back as values (a failed row reads as a row of nulls). */
export async function* readCsvRows(path: string, fields: FieldSchema[]): AsyncGenerator<Row[]> {
  for await (const records of csvRecords(path, fields, { fromIndex: 0, select: () => true }, createReadStream(path))) {
    yield records.map((r) => r.row);
  }
}

export function csvSink(fields: FieldSchema[], write: (text: string) => Promise<void>): OutputSink {
  // With one column, a failed row's empty cell would be an empty line, which readers skip: it is quoted instead.
  const options = { quoted_empty: fields.length === 1 };
  return {
    start: () => write(stringify([fields.map((f) => f.name)])),
    write: (rows) => write(stringify(rows.map((row) => fields.map((f) => valueToCell(row?.[f.name]))), options)),
    finish: async () => {},
  };
}
