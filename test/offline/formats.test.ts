/**
 * The file formats of `vial run` on their own (no executor): what each reader
 * yields and where from, what each writer writes, Parquet files read by an
 * independent implementation (arrow-rs, via parquet-wasm) and files it wrote
 * read by vial, and the progress display.
 */
import { describe, expect, it } from "vitest";
import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { tableFromIPC, tableToIPC, tableFromArrays } from "apache-arrow";
import * as parquetWasm from "parquet-wasm";
import type { FieldSchema } from "../../runtime/schema.ts";
import { cellToValue, valueToCell } from "../../offline/formats/cells.ts";
import { readNdjson } from "../../offline/formats/ndjson.ts";
import { readCsv } from "../../offline/formats/csv.ts";
import { readParquet, parquetKeyValues } from "../../offline/formats/parquet.ts";
import { readOutput, writeOutput, type OutputRow } from "../../offline/formats/outputs.ts";
import { formatOf, type InputRow, type InputSource } from "../../offline/formats/format.ts";
import { parseShard } from "../../offline/plan.ts";
import { showProgress } from "../../offline/progress.ts";
import { arrowRows } from "./helpers.ts";

const all = { fromIndex: 0, select: () => true };
const temp = () => mkdtemp(join(tmpdir(), "vial-formats-"));

async function collect(source: InputSource): Promise<InputRow[]> {
  const rows: InputRow[] = [];
  for await (const chunk of source.chunks) rows.push(...chunk);
  return rows;
}

const EVERY_TYPE: FieldSchema[] = [
  { name: "s", type: "string" },
  { name: "i", type: "int64" },
  { name: "f", type: "float64" },
  { name: "b", type: "bool" },
  { name: "raw", type: "bytes" },
  { name: "xs", type: { array: "int64" } },
  { name: "grid", type: { array: { array: "float64" } } },
  { name: "blobs", type: { array: "bytes" } },
  { name: "maybe", type: { optional: "string" } },
];

const ROWS: OutputRow[] = [
  { s: "héllo, \"world\"\nline two", i: 9007199254740991, f: 1.5e-300, b: true, raw: "AAEC/w==", xs: [1, -2], grid: [[0.5], []], blobs: ["", "AQ=="], maybe: "yes" },
  null,
  { s: "", i: -9007199254740991, f: -2, b: false, raw: "", xs: [], grid: [], blobs: [], maybe: null },
];

describe("formats", () => {
  it("tells formats by extension or name, and refuses what it cannot tell", () => {
    expect(formatOf("a/b.JSONL")).toBe("ndjson");
    expect(() => formatOf("rows.json")).toThrow(/--format/);
    expect(formatOf("x.parquet")).toBe("parquet");
    expect(formatOf("x.txt", "csv")).toBe("csv");
    expect(() => formatOf("x.txt")).toThrow(/--format/);
    expect(() => formatOf("x.csv", "xml")).toThrow(/unknown format 'xml'/);
    expect(parseShard("2/5")).toEqual({ index: 2, count: 5 });
    for (const bad of ["5/5", "1/0", "a/b", "1"]) expect(() => parseShard(bad)).toThrow(/--shard must be i\/n/);
  });

  it("reads NDJSON lines as they are, with their line numbers: blank lines skipped, CRLF and a BOM dropped, a shard selected", async () => {
    const file = join(await temp(), "in.ndjson");
    await writeFile(file, '\ufeff{"a":1}\r\n\n  \n{"a":2}\n{"a":3}\n{"a":4}');
    const rows = await collect(await readNdjson(file, all));
    expect(rows).toEqual([
      { index: 0, line: 1, json: '{"a":1}' },
      { index: 1, line: 4, json: '{"a":2}' },
      { index: 2, line: 5, json: '{"a":3}' },
      { index: 3, line: 6, json: '{"a":4}' },
    ]);
    const shard = await collect(await readNdjson(file, { fromIndex: 1, select: (i) => i % 2 === 1 }));
    expect(shard.map((r) => r.index)).toEqual([1, 3]);
  });

  it("reads CSV cells as the field's type, passes what does not fit on as text, and names a missing column", async () => {
    const dir = await temp();
    const fields: FieldSchema[] = [
      { name: "n", type: "int64" },
      { name: "ok", type: "bool" },
      { name: "xs", type: { array: "int64" } },
      { name: "note", type: { optional: "string" } },
    ];
    const file = join(dir, "in.csv");
    await writeFile(file, 'extra,n,ok,xs\nz,12,TRUE,"[1,2]"\nz,1.5e3,false,[]\n\nz,twelve,maybe,"not, a list"\n');
    const rows = await collect(await readCsv(file, fields, all));
    expect(rows.map((r) => [r.index, r.line, JSON.parse(r.json)])).toEqual([
      [0, 2, { n: 12, ok: true, xs: [1, 2], note: null }],
      [1, 3, { n: 1500, ok: false, xs: [], note: null }],
      [2, 5, { n: "twelve", ok: "maybe", xs: "not, a list", note: null }],
    ]);
    await writeFile(file, "m,ok\n1,true\n");
    await expect(readCsv(file, fields, all).then(collect)).rejects.toThrow(/has no column 'n', 'xs' \(its header: m, ok\)/);
    expect(cellToValue({ optional: "int64" }, "")).toBeNull();
    expect(cellToValue("string", "")).toBe("");
    expect([null, "a", 3, true, [1, [2]]].map(valueToCell)).toEqual(["", "a", "3", "true", "[1,[2]]"]);
  });

  it("writes and reads back every type in NDJSON, CSV and Parquet; an independent reader sees standard Parquet types and the metadata", async () => {
    const dir = await temp();
    for (const format of ["ndjson", "csv", "parquet"] as const) {
      const path = join(dir, `out.${format}`);
      await writeOutput({ format, path, fields: EVERY_TYPE, keyValues: { vial: '{"version":"v1"}' }, createdBy: "vial test" }, [ROWS.slice(0, 2), ROWS.slice(2)]);
      const back: OutputRow[] = [];
      for await (const rows of readOutput(format, path, EVERY_TYPE)) back.push(...rows);
      // CSV and Parquet have no null row: a failed row reads as a row of nulls (and an empty CSV cell as null).
      const nulls = Object.fromEntries(EVERY_TYPE.map((f) => [f.name, null]));
      const expected = format === "ndjson" ? ROWS : format === "csv" ? [ROWS[0], { ...nulls, s: "", raw: "" }, { ...ROWS[2], s: "", raw: "" }] : [ROWS[0], nulls, ROWS[2]];
      expect(back, format).toEqual(expected);
    }
    // One column: a failed row is still a line of its own.
    const single = join(dir, "single.csv");
    await writeOutput({ format: "csv", path: single, fields: [{ name: "y", type: "float64" }], keyValues: {}, createdBy: "vial test" }, [[null, { y: 0.5 }, null]]);
    const singleBack: OutputRow[] = [];
    for await (const rows of readOutput("csv", single, [{ name: "y", type: "float64" }])) singleBack.push(...rows);
    expect(singleBack).toEqual([{ y: null }, { y: 0.5 }, { y: null }]);
    const parquet = join(dir, "out.parquet");
    const table = tableFromIPC(parquetWasm.readParquet(await readFile(parquet)).intoIPCStream());
    expect(Object.fromEntries(table.schema.fields.map((f) => [f.name, String(f.type)]))).toEqual({
      s: "Utf8",
      i: "Int64",
      f: "Float64",
      b: "Bool",
      raw: "Binary",
      xs: "List<Int64>",
      grid: "List<List<Float64>>",
      blobs: "List<Binary>",
      maybe: "Utf8",
    });
    expect(arrowRows(table)).toEqual([ROWS[0], Object.fromEntries(EVERY_TYPE.map((f) => [f.name, null])), ROWS[2]]);
    expect(table.schema.metadata.get("vial")).toBe('{"version":"v1"}');
    expect(await parquetKeyValues(parquet)).toEqual({ vial: '{"version":"v1"}' });
  });

  it("reads a zstd-compressed Parquet file arrow-rs wrote, a slice of row groups at a time, skipping to a row", async () => {
    const n = 70_000;
    const arrow = tableFromArrays({ id: BigInt64Array.from({ length: n }, (_, i) => BigInt(i)), text: Array.from({ length: n }, (_, i) => `row ${i}`) });
    const props = new parquetWasm.WriterPropertiesBuilder().setCompression(parquetWasm.Compression.ZSTD).setMaxRowGroupSize(30_000).build();
    const file = join(await temp(), "in.parquet");
    await writeFile(file, parquetWasm.writeParquet(parquetWasm.Table.fromIPCStream(tableToIPC(arrow, "stream")), props));
    const fields: FieldSchema[] = [
      { name: "id", type: "int64" },
      { name: "text", type: "string" },
    ];
    const source = await readParquet(file, fields, { fromIndex: 59_998, select: (i) => i % 3 === 0 });
    expect(source.totalRows).toBe(n);
    const rows = await collect(source);
    expect(rows[0]).toEqual({ index: 60_000, json: '{"id":60000,"text":"row 60000"}' });
    expect(rows.length).toBe(Math.ceil((n - 60_000) / 3));
    expect(source.position()).toEqual({ done: n, total: n });
  });

  it("shows progress as periodic plain lines when not on a terminal, and as one redrawn line on one", async () => {
    const lines = (tty: boolean) => {
      const written: string[] = [];
      const stream = Object.assign(new Writable({ write: (chunk, _e, done) => (written.push(String(chunk)), done()) }), { isTTY: tty }) as unknown as NodeJS.WriteStream;
      let rows = 0;
      const progress = showProgress({ rows: () => (rows += 1000), failed: () => 2, position: () => ({ done: rows, total: 100_000 }) }, stream, 20);
      return new Promise<string[]>((resolve) => setTimeout(() => (progress.stop(), resolve(written)), 600));
    };
    const plain = await lines(false);
    expect(plain.length).toBeGreaterThan(2);
    expect(plain[0]).toMatch(/^vial run: [\d,]+ rows {2}[\d,]+ rows\/s {2}\d+% read {2}ETA \S+ {2}2 failed\n$/);
    const tty = await lines(true);
    expect(tty[0]).toMatch(/^\r\x1b\[2K {2}[\d,]+ rows/);
    expect(tty.at(-1)).toBe("\r\x1b[2K");
  });
});
