/** Helpers of the `vial run` tests: reading Parquet through an independent implementation (arrow-rs via parquet-wasm). */
import { readFile } from "node:fs/promises";
import { Vector, tableFromIPC, type Table } from "apache-arrow";
import * as parquetWasm from "parquet-wasm";

/** An Arrow value as the host answers it: numbers for int64, base64 for bytes, arrays for lists. */
function plain(value: unknown): unknown {
  if (value === null || value === undefined) return null;
  if (typeof value === "bigint") return Number(value);
  if (value instanceof Uint8Array) return Buffer.from(value).toString("base64");
  if (value instanceof Vector) return [...value].map(plain);
  return value;
}

export function arrowRows(table: Table): Array<Record<string, unknown>> {
  return table.toArray().map((row: Record<string, unknown>) => Object.fromEntries(table.schema.fields.map((f) => [f.name, plain(row[f.name])])));
}

export async function readParquetIndependently(path: string): Promise<{ rows: Array<Record<string, unknown>>; metadata: Map<string, string>; rowGroups: number }> {
  const bytes = await readFile(path);
  const table = tableFromIPC(parquetWasm.readParquet(bytes).intoIPCStream());
  const file = await parquetWasm.ParquetFile.fromFile(new Blob([bytes]));
  return { rows: arrowRows(table), metadata: table.schema.metadata, rowGroups: file.metadata().numRowGroups() };
}
