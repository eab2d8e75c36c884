import { describe, expect, expectTypeOf, it } from "vitest";
import { transformation, t, TRANSFORMATION, type InputColumns, type InputRow, type OutputColumns, type OutputRow } from "../guest-sdk/js/index.ts";
import { checkRow, checkValue, type FieldSchema, type FieldType } from "../runtime/schema.ts";
import { compileCheck, inputConversions, outputConversions } from "../guest-sdk/js/boundary.ts";
import { ColumnsError } from "../guest-sdk/js/columns.ts";

describe("guest SDK types", () => {
  it("infers the row and the return type from the schema", () => {
    const inputs = { text: t.string, n: t.int64, x: t.float64, ok: t.bool, raw: t.bytes, tags: t.array(t.string), note: t.optional(t.string) };
    const outputs = { score: t.int64, label: t.optional(t.string), grid: t.array(t.array(t.float64)) };
    expectTypeOf<InputRow<typeof inputs>>().toEqualTypeOf<{
      readonly text: string;
      readonly n: number;
      readonly x: number;
      readonly ok: boolean;
      readonly raw: Uint8Array;
      readonly tags: string[];
      readonly note: string | null;
    }>();
    expectTypeOf<OutputRow<typeof outputs>>().toEqualTypeOf<{ score: number; grid: number[][]; label?: string | null }>();

    transformation({
      inputs,
      outputs,
      handler: (row) => {
        expectTypeOf(row.tags).toEqualTypeOf<string[]>();
        return { score: row.n, grid: [[row.x]] };
      },
    });
    transformation({
      inputs: { text: t.string },
      outputs: { score: t.int64 },
      // @ts-expect-error: a string is not an int64
      handler: (row) => ({ score: row.text }),
    });
    transformation({
      inputs: { text: t.string },
      outputs: { score: t.int64 },
      // @ts-expect-error: a required output field is missing
      handler: () => ({}),
    });
  });

  it("describes the schema and runs rows, catching each row's failure", () => {
    const f = transformation({
      inputs: { n: t.int64 },
      outputs: { half: t.float64 },
      handler: (row) => {
        if (row.n < 0) throw new RangeError("negative");
        return { half: row.n / 2 };
      },
    });
    expect(f[TRANSFORMATION]).toBe(true);
    expect(f.mode).toBe("row");
    expect(f.inputs).toEqual([{ name: "n", type: "int64" }]);
    const [ok, failed] = f.run([{ n: 3 }, { n: -1 }]);
    expect(ok).toEqual({ half: 1.5 });
    expect(failed).toBeInstanceOf(RangeError);
  });

  it("has a batch form, and insists on exactly one handler", () => {
    const f = transformation({
      inputs: { s: t.string },
      outputs: { len: t.int64 },
      batchHandler: (rows) => rows.map((r) => ({ len: r.s.length })),
    });
    expect(f.mode).toBe("batch");
    expect(f.run([{ s: "abc" }])).toEqual([{ len: 3 }]);
    expect(() => transformation({ inputs: {}, outputs: {} } as never)).toThrow(/exactly one of `handler`/);
  });

  it("checks values against types, naming the field and what is wrong", () => {
    expect(checkValue("int64", 2 ** 53, "guest")).toMatch(/outside/);
    expect(checkValue("int64", 1.5, "guest")).toMatch(/expected int64, got float 1.5/);
    expect(checkValue({ optional: "string" }, null, "guest")).toBeNull();
    expect(checkValue({ array: "bool" }, [true, 1], "guest")).toBe("[1]: expected bool, got number");
    expect(checkValue("bytes", "aGk=", "wire")).toBeNull();
    expect(checkValue("bytes", new Uint8Array(2), "guest")).toBeNull();
    expect(checkRow([{ name: "text", type: "string" }], { text: 3 }, "guest")).toBe("field 'text': expected string, got number");
    expect(checkRow([{ name: "text", type: "string" }], {}, "guest")).toBe("field 'text': missing");
  });
});

describe("guest SDK: nested and temporal types, named inputs, columns", () => {
  const point = t.struct({ lat: t.float64, lon: t.float64, label: t.optional(t.string) });

  it("infers nested rows: a struct's optional fields may be left out of an output at every level", () => {
    const inputs = {
      n: t.int32,
      x: t.float32,
      at: t.timestamp,
      ratio: t.nonFinite(t.float64),
      scores: t.map(t.float64),
      home: point,
      visits: t.array(t.struct({ at: t.timestamp, where: point })),
    };
    type Point = { readonly lat: number; readonly lon: number; readonly label: string | null };
    expectTypeOf<InputRow<typeof inputs>>().toEqualTypeOf<{
      readonly n: number;
      readonly x: number;
      readonly at: Date;
      readonly ratio: number;
      readonly scores: Record<string, number>;
      readonly home: Point;
      readonly visits: { readonly at: Date; readonly where: Point }[];
    }>();
    const outputs = { trip: t.struct({ from: point, stops: t.map(point), at: t.optional(t.timestamp) }) };
    type OutPoint = { lat: number; lon: number; label?: string | null };
    expectTypeOf<OutputRow<typeof outputs>>().toEqualTypeOf<{
      trip: { from: OutPoint; stops: Record<string, OutPoint>; at?: Date | string | null };
    }>();

    transformation({
      inputs,
      outputs,
      // The input's records are valid outputs: a nested optional may be left out, a timestamp returned as text.
      handler: (row) => ({ trip: { from: row.home, stops: { first: { lat: 1, lon: 2 } }, at: "2026-12-06T20:34:49.123456Z" } }),
    });
    transformation({
      inputs,
      outputs,
      // @ts-expect-error: a nested required field is missing
      handler: (row) => ({ trip: { from: { lat: row.x }, stops: {} } }),
    });
    // @ts-expect-error: only floats may be non-finite
    expect(() => t.nonFinite(t.int64)).toThrow(/t\.float64 or t\.float32/);
  });

  it("passes named inputs as the row's keys, to destructure", () => {
    const f = transformation({
      inputs: {
        request: t.struct({ amount: t.float64 }),
        user_stats: t.struct({ avg_amount: t.float64, txn_count: t.int64 }),
      },
      outputs: { ratio: t.float64 },
      handler: ({ request, user_stats }) => ({ ratio: request.amount / user_stats.avg_amount }),
    });
    expect(f.inputs).toEqual([
      { name: "request", type: { struct: [{ name: "amount", type: "float64" }] } },
      { name: "user_stats", type: { struct: [{ name: "avg_amount", type: "float64" }, { name: "txn_count", type: "int64" }] } },
    ]);
    expect(f.run([{ request: { amount: 12.5 }, user_stats: { avg_amount: 10, txn_count: 3 } }])).toEqual([{ ratio: 1.25 }]);
  });

  it("describes every new type in the schema's wire form", () => {
    const f = transformation({
      inputs: { a: t.int32, b: t.float32, c: t.timestamp, d: t.map(t.optional(t.timestamp)), e: t.nonFinite(t.float32), s: point },
      outputs: {},
      handler: () => ({}),
    });
    expect(f.inputs.map((i) => i.type)).toEqual([
      "int32",
      "float32",
      "timestamp",
      { map: { optional: "timestamp" } },
      { nonFinite: "float32" },
      { struct: [{ name: "lat", type: "float64" }, { name: "lon", type: "float64" }, { name: "label", type: { optional: "string" } }] },
    ]);
  });

  it("gives a columns handler a column per input field, and turns its columns back into rows", () => {
    const inputs = { where: point, tags: t.array(t.string), maybe: t.optional(point) };
    const outputs = { total: t.float64, note: t.optional(t.string) };
    type Point = { readonly lat: number; readonly lon: number; readonly label: string | null };
    expectTypeOf<InputColumns<typeof inputs>>().toEqualTypeOf<{ readonly where: Point[]; readonly tags: string[][]; readonly maybe: (Point | null)[] }>();
    expectTypeOf<OutputColumns<typeof outputs>>().toEqualTypeOf<{ total: readonly number[]; note?: readonly (string | null)[] }>();

    const seen: unknown[] = [];
    const f = transformation({
      inputs,
      outputs,
      columnsHandler: (columns) => {
        seen.push(columns);
        return { total: columns.where.map((w, i) => w.lat + columns.tags[i]!.length) };
      },
    });
    expect(f.mode).toBe("columns");
    const where = { lat: 1, lon: 2, label: null };
    const rows = [
      { where, tags: ["a"], maybe: null },
      { where, tags: [], maybe: where },
    ];
    expect(f.run(rows)).toEqual([{ total: 2 }, { total: 1 }]);
    expect(seen).toEqual([{ where: [where, where], tags: [["a"], []], maybe: [null, where] }]);
  });

  it("gives named inputs (every input a struct) to a columns handler as a dict of columns per input", () => {
    const inputs = { request: t.struct({ amount: t.float64, where: point }), user_stats: t.struct({ avg_amount: t.float64 }) };
    expectTypeOf<InputColumns<typeof inputs>>().toEqualTypeOf<{
      readonly request: { readonly amount: number[]; readonly where: { readonly lat: number; readonly lon: number; readonly label: string | null }[] };
      readonly user_stats: { readonly avg_amount: number[] };
    }>();
    const seen: unknown[] = [];
    const f = transformation({
      inputs,
      outputs: { ratio: t.float64 },
      columnsHandler: (columns) => {
        seen.push(columns);
        const { request, user_stats } = columns;
        return { ratio: request.amount.map((amount, i) => amount / user_stats.avg_amount[i]!) };
      },
    });
    const where = { lat: 1, lon: 2, label: null };
    const rows = [
      { request: { amount: 1, where }, user_stats: { avg_amount: 4 } },
      { request: { amount: 3, where }, user_stats: { avg_amount: 2 } },
    ];
    expect(f.run(rows)).toEqual([{ ratio: 0.25 }, { ratio: 1.5 }]);
    expect(seen).toEqual([{ request: { amount: [1, 3], where: [where, where] }, user_stats: { avg_amount: [4, 2] } }]);
  });

  it("fails a columns batch whose columns do not fit it, naming the column; undeclared columns are carried for the host to report", () => {
    const columns = (returned: unknown) =>
      transformation({ inputs: { x: t.float64 }, outputs: { y: t.float64, z: t.optional(t.float64) }, columnsHandler: () => returned as never });
    const rows = [{ x: 1 }, { x: 2 }];
    expect(() => columns({ y: [1] }).run(rows)).toThrow(new ColumnsError("columnsHandler returned 1 values in column 'y' for 2 rows"));
    expect(() => columns({ y: 3 }).run(rows)).toThrow(new ColumnsError("columnsHandler returned column 'y' as number, not an array"));
    expect(() => columns({ z: [1, 2] }).run(rows)).toThrow(new ColumnsError("columnsHandler returned no column 'y'"));
    expect(() => columns([[1, 2]]).run(rows)).toThrow(new ColumnsError("columnsHandler returned an array, not an object of columns"));
    expect(columns({ y: [1, 2], extra: ["a", "b"] }).run(rows)).toEqual([
      { y: 1, extra: "a" },
      { y: 2, extra: "b" },
    ]);
    expect(columns({ y: [], z: [] }).run([])).toEqual([]);
  });

  it("insists on exactly one of the three handlers", () => {
    const both = { inputs: {}, outputs: {}, handler: () => ({}), columnsHandler: () => ({}) };
    expect(() => transformation(both as never)).toThrow(/exactly one of `handler` \(per row\), `batchHandler` \(per batch\) or `columnsHandler`/);
  });
});

describe("guest boundary: wire form in, guest form out, checked", () => {
  const convertIn = (fields: FieldSchema[], row: Record<string, unknown>) => {
    for (const { name, convert } of inputConversions(fields)) row[name] = convert(row[name]);
    return row;
  };
  const convertOut = (fields: FieldSchema[], row: Record<string, unknown>) => {
    const out = { ...row };
    for (const { name, convert } of outputConversions(fields)) out[name] = convert(row[name]);
    return out;
  };
  const fields: FieldSchema[] = [
    { name: "raw", type: "bytes" },
    { name: "at", type: "timestamp" },
    { name: "r", type: { nonFinite: "float64" } },
    { name: "f", type: "float32" },
    { name: "nested", type: { map: { array: { struct: [{ name: "at", type: { optional: "timestamp" } }, { name: "r", type: { nonFinite: "float32" } }, { name: "s", type: "string" }] } } } },
    { name: "plain", type: { struct: [{ name: "s", type: "string" }] } },
  ];

  it("converts only the fields whose values change form", () => {
    expect(inputConversions(fields).map((c) => c.name)).toEqual(["raw", "at", "r", "nested"]);
    expect(outputConversions(fields).map((c) => c.name)).toEqual(["raw", "at", "r", "f", "nested"]);
  });

  it("gives the function bytes, Dates and numbers, at every depth", () => {
    const row = convertIn(fields, {
      raw: "aGk=",
      at: "2026-12-06T20:34:49.123456Z",
      r: "-Infinity",
      f: 0.5,
      nested: { k: [{ at: null, r: "NaN", s: "NaN" }, { at: "0001-01-01T00:00:00.000000Z", r: 1.5, s: "" }] },
      plain: { s: "x" },
    });
    expect(row).toEqual({
      raw: new Uint8Array([104, 105]),
      at: new Date(Date.UTC(2026, 11, 6, 20, 34, 49, 123)),
      r: -Infinity,
      f: 0.5,
      nested: { k: [{ at: null, r: NaN, s: "NaN" }, { at: new Date("0001-01-01T00:00:00Z"), r: 1.5, s: "" }] },
      plain: { s: "x" },
    });
    for (const [type, value] of [["int32", 7], ["float32", 0.5], ["timestamp", "1970-01-01T00:00:00.000000Z"], [{ map: { nonFinite: "float64" } }, { a: "NaN", b: 2 }]] as const) {
      expect(checkValue(type, convertIn([{ name: "v", type }], { v: value }).v, "guest")).toBeNull();
    }
  });

  it("returns wire form: canonical timestamps, non-finite texts, base64, float32 rounded", () => {
    const out = convertOut(fields, {
      raw: new Uint8Array([104, 105]),
      at: new Date(Date.UTC(2026, 11, 6, 20, 34, 49, 123)),
      r: NaN,
      f: 0.1,
      nested: { k: [{ r: Infinity, s: "Infinity" }, { at: "2026-12-06T21:34:49.123456+01:00", r: 0.1, s: "" }] },
      plain: { s: "x" },
      undeclared: 1,
    });
    expect(out).toEqual({
      raw: "aGk=",
      at: "2026-12-06T20:34:49.123000Z",
      r: "NaN",
      f: Math.fround(0.1),
      nested: { k: [{ at: null, r: "Infinity", s: "Infinity" }, { at: "2026-12-06T20:34:49.123456Z", r: Math.fround(0.1), s: "" }] },
      plain: { s: "x" },
      undeclared: 1,
    });
    expect(checkRow(fields, out, "wire")).toBeNull();
  });

  it("keeps a map's every key, __proto__ included, as the map's own", () => {
    const type: FieldType = { map: "timestamp" };
    const given = JSON.parse('{"__proto__": "2026-01-01T00:00:00.000000Z", "b": "2026-01-02T00:00:00.000000Z"}');
    const received = convertIn([{ name: "m", type }], { m: given }).m as Record<string, Date>;
    expect(Object.getPrototypeOf(received)).toBe(Object.prototype);
    expect(Object.keys(received)).toEqual(["__proto__", "b"]);
    expect(JSON.stringify(convertOut([{ name: "m", type }], { m: received }).m)).toBe(JSON.stringify(given));
  });

  it("checks outputs in guest form exactly as the schema does, saying what the function returned", () => {
    const types: FieldType[] = ["string", "int64", "int32", "float64", "float32", "bool", "bytes", "timestamp", { optional: "int32" }, { nonFinite: "float64" }, { nonFinite: "float32" }, { array: "float32" }, { struct: [{ name: "a", type: "timestamp" }] }];
    const values: unknown[] = [
      "s", "", 1, -1, 2 ** 31, -(2 ** 31), 2 ** 53, 0.5, NaN, Infinity, -Infinity, 1e39, 3.4e38, true, null, undefined,
      new Uint8Array(1), new Date(0), new Date(NaN), new Date("0000-06-01T00:00:00Z"), "2026-01-01T00:00:00Z", "2026-01-01T00:00:00", [0.5], [NaN], { a: new Date(0) }, { a: "x" }, {},
    ];
    for (const type of types) for (const value of values) expect([type, value, compileCheck(type)(value)]).toEqual([type, value, checkValue(type, value, "guest") === null]);
    expect(checkRow([{ name: "x", type: "float64" }], { x: NaN }, "guest")).toBe("field 'x': expected a finite float64, got NaN");
    expect(checkRow([{ name: "at", type: "timestamp" }], { at: "yesterday" }, "guest")).toMatch(/^field 'at': expected a timestamp \(a Date, or RFC 3339 text/);
  });
});
