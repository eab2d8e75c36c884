/** Helpers of the `vial run` tests: reading Parquet through an independent implementation (arrow-rs via parquet-wasm). */
import { readFile, writeFile } from "node:fs/promises";
import { Binary, Bool, Field, Float64, Int64, List, Table, Utf8, Vector, tableFromIPC, tableToIPC, vectorFromArray, type DataType } from "apache-arrow";
import * as parquetWasm from "parquet-wasm";
import type { FieldSchema, FieldType } from "../../runtime/schema.ts";

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

/** A small deterministic generator (mulberry32): the same rows on every run. */
export function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const TEXTS = ["", "brownie", "Mocha Cheesecake", "ünïcödé ✓", "emoji 🍫 bar", 'quote " and, comma', "two\nlines", "tab\there"];

/** Rows of the conformance `mirror` function's every type, edge values included; optional strings and bytes are never empty (in CSV an empty cell is null). */
export function mirrorRows(n: number, seed = 7): Array<Record<string, unknown>> {
  const r = random(seed);
  const pick = <T>(xs: T[]): T => xs[Math.floor(r() * xs.length)]!;
  const int = () => pick([0, 1, -1, 42, Number.MAX_SAFE_INTEGER, -Number.MAX_SAFE_INTEGER, Math.floor(r() * 1e9)]);
  const bytes = () => Buffer.from(Array.from({ length: Math.floor(r() * 6) }, () => Math.floor(r() * 256))).toString("base64");
  return Array.from({ length: n }, () => {
    const row: Record<string, unknown> = {
      s: pick(TEXTS),
      i: int(),
      f: pick([0, 1.5, -2.25, 1e-300, 1.7976931348623157e308, r() * 1000]),
      b: r() < 0.5,
      raw: bytes(),
      xs: Array.from({ length: Math.floor(r() * 4) }, int),
      names: Array.from({ length: Math.floor(r() * 3) }, () => pick(TEXTS)),
      blobs: Array.from({ length: Math.floor(r() * 3) }, bytes),
      grid: Array.from({ length: Math.floor(r() * 3) }, () => Array.from({ length: Math.floor(r() * 3) }, () => r())),
    };
    // Optional fields: left out, null, or given.
    if (r() < 0.66) row.maybe = r() < 0.5 ? null : pick(TEXTS.filter(Boolean));
    if (r() < 0.66) row.maybe_raw = r() < 0.5 ? null : Buffer.from([1, ...Buffer.from(bytes(), "base64")]).toString("base64");
    if (r() < 0.66) row.maybe_xs = r() < 0.5 ? null : [int()];
    return row;
  });
}

export interface HostAnswer {
  rows: unknown[];
  errors: Array<{ row: number; error: string }>;
}

/** What POST /v1/invoke answers for `rows` sent in batches of `batch`; a batch refused whole (422) fails its rows with its message. */
export async function invokeOverHttp(base: string, env: string, fn: string, rows: unknown[], batch: number): Promise<HostAnswer> {
  const answer: HostAnswer = { rows: [], errors: [] };
  for (let start = 0; start < rows.length; start += batch) {
    const slice = rows.slice(start, start + batch);
    const response = await fetch(`${base}/v1/invoke/${env}/${fn}`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ rows: slice }) });
    const body = (await response.json()) as HostAnswer & { error?: { code: string; message: string } };
    if (response.status === 422) {
      answer.rows.push(...slice.map(() => null));
      answer.errors.push(...slice.map((_, i) => ({ row: start + i, error: body.error!.message })));
      continue;
    }
    if (response.status !== 200) throw new Error(`${env}/${fn} answered ${response.status}: ${JSON.stringify(body)}`);
    answer.rows.push(...body.rows);
    answer.errors.push(...body.errors.map((e) => ({ row: start + e.row, error: e.error })));
  }
  return answer;
}

/** The flat types the tests write with arrow-rs's conventions. */
function arrowType(type: FieldType): DataType {
  if (typeof type === "object" && "optional" in type) return arrowType(type.optional);
  if (typeof type === "object" && "array" in type) return new List(new Field("item", arrowType(type.array), true));
  const types: Record<string, DataType> = { string: new Utf8(), int64: new Int64(), float64: new Float64(), bool: new Bool(), bytes: new Binary() };
  const found = typeof type === "string" ? types[type] : undefined;
  if (!found) throw new Error(`no arrow type here for ${JSON.stringify(type)}`);
  return found;
}

function arrowValue(type: FieldType, value: unknown): unknown {
  if (value === null || value === undefined) return null;
  if (typeof type === "object" && "optional" in type) return arrowValue(type.optional, value);
  if (typeof type === "object" && "array" in type) return (value as unknown[]).map((item) => arrowValue(type.array, item));
  if (type === "int64") return BigInt(value as number);
  if (type === "bytes") return new Uint8Array(Buffer.from(value as string, "base64"));
  return value;
}

/** Writes rows as a zstd-compressed Parquet file with arrow-rs (parquet-wasm), as other tools would. */
export async function writeParquetIndependently(path: string, fields: FieldSchema[], rows: Array<Record<string, unknown>>): Promise<void> {
  const columns = Object.fromEntries(fields.map((f) => [f.name, vectorFromArray(rows.map((row) => arrowValue(f.type, row[f.name])), arrowType(f.type))]));
  const table = parquetWasm.Table.fromIPCStream(tableToIPC(new Table(columns), "stream"));
  const props = new parquetWasm.WriterPropertiesBuilder().setCompression(parquetWasm.Compression.ZSTD).setMaxRowGroupSize(100).build();
  await writeFile(path, parquetWasm.writeParquet(table, props));
}
