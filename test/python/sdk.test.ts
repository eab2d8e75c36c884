// The dispatcher and wire checks, run under native CPython (fast, no build): every type's
// values both ways, the same words as the JS schema's checks, named inputs, and the modes.
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { checkRow, type FieldSchema, type FunctionSchema } from "../../runtime/schema.ts";
import { FIXTURES, NATIVE_PYTHON, ROOT, callNative, callNativeOutcome, describeNative, ensureDebianPandas } from "../../testing/python.ts";

const CHECKS = join(FIXTURES, "guest_checks.py");
const MODES = join(FIXTURES, "sdk_modes.py");
const PANDAS = join(FIXTURES, "sdk_pandas.py");

const functionsOf = (module: string) => (describeNative(module) as { functions: FunctionSchema[] }).functions;
const failure = (module: string, fn: string, rows: unknown[]) => {
  const outcome = callNativeOutcome(module, fn, rows);
  if (outcome.ok) throw new Error(`${fn} did not fail the batch: ${JSON.stringify(outcome.result)}`);
  return outcome.error;
};

describe("vial python sdk (native)", () => {
  it("keeps int64 within ±(2^53-1) and refuses bools", () => {
    const got = callNative(CHECKS, "int_edges", [{ v: "max" }, { v: "big" }, { v: "bool" }]);
    expect(got.rows).toEqual([{ n: 2 ** 53 - 1 }, null, null]);
    expect(got.errors).toEqual([
      { row: 1, error: "output field 'n': expected int64, got number (outside ±2^53-1)" },
      { row: 2, error: "output field 'n': expected int64, got boolean" },
    ]);
  });

  it("checks input types and base64", () => {
    const got = callNative(CHECKS, "roundtrip", [{ data: "!!", xs: [], flag: true, maybe: null }, { data: "", xs: ["a"], flag: true }]);
    expect(got.errors).toEqual([
      { row: 0, error: "input field 'data': expected bytes as a base64 string" },
      { row: 1, error: "input field 'xs[0]': expected float64, got string" },
    ]);
  });

  it("describes every type, named inputs and modes in the JSON shape of the JS schema", () => {
    const functions = functionsOf(MODES);
    const byName = (name: string) => functions.find((f) => f.name === name)!;
    expect(byName("give").outputs).toEqual([
      { name: "i", type: { optional: "int64" } },
      { name: "i32", type: { optional: "int32" } },
      { name: "f", type: { optional: "float64" } },
      { name: "f32", type: { optional: "float32" } },
      { name: "b", type: { optional: "bool" } },
      { name: "s", type: { optional: "string" } },
      { name: "raw", type: { optional: "bytes" } },
      { name: "ts", type: { optional: "timestamp" } },
      { name: "m", type: { optional: { map: "int64" } } },
      { name: "st", type: { optional: { struct: [{ name: "a", type: "int64" }, { name: "b", type: { optional: "string" } }] } } },
      { name: "nf", type: { optional: { nonFinite: "float32" } } },
      { name: "xs", type: { optional: { array: { struct: [{ name: "t", type: "timestamp" }] } } } },
      { name: "deep", type: { optional: { map: { array: { optional: { struct: [{ name: "n", type: { nonFinite: "float64" } }] } } } } } },
    ]);
    const named = {
      inputs: [
        { name: "request", type: { struct: [{ name: "amount", type: "float64" }, { name: "at", type: "timestamp" }] } },
        { name: "user_stats", type: { struct: [{ name: "avg_amount", type: "float64" }, { name: "txn_count", type: { optional: "int32" } }] } },
      ],
      outputs: [{ name: "ratio", type: "float64" }, { name: "day", type: "int32" }],
    };
    expect(byName("by_name")).toEqual({ name: "by_name", mode: "row", ...named });
    expect(byName("named_batch")).toEqual({ name: "named_batch", mode: "batch", ...named });
    expect(byName("named_columns")).toEqual({ name: "named_columns", mode: "columns", ...named });
  });

  describe("output checks say what the JS schema says, word for word", () => {
    let outputs: FieldSchema[];
    beforeAll(() => {
      outputs = functionsOf(MODES).find((f) => f.name === "give")!.outputs;
    });
    /** A JS value as Python JSON: NaN and ±Infinity as Python's json reads them, a Date as {"$date": text}. */
    const asPython = (v: unknown): string => {
      if (typeof v === "number" && !Number.isFinite(v)) return String(v);
      if (v instanceof Date) return JSON.stringify({ $date: v.toISOString() });
      if (Array.isArray(v)) return `[${v.map(asPython).join(",")}]`;
      if (v !== null && typeof v === "object") return `{${Object.entries(v).map(([k, x]) => `${JSON.stringify(k)}:${asPython(x)}`).join(",")}}`;
      return JSON.stringify(v);
    };
    const cases: Array<[string, unknown]> = [
      ["i", 2.5], ["i", 2 ** 53], ["i", true], ["i", "1"], ["i", 7], ["i", 1e21],
      ["i32", 2 ** 31], ["i32", -(2 ** 31)], ["i32", 1.5], ["i32", NaN],
      ["f", NaN], ["f", Infinity], ["f", -Infinity], ["f", "x"], ["f", 3], ["f", true], ["f", 1e-7],
      ["f32", 1e39], ["f32", -3.5e38], ["f32", NaN], ["f32", 0.1], ["f32", 3.4028234663852886e38],
      ["b", 1], ["b", "true"], ["b", false],
      ["s", 5], ["s", ["a"]], ["s", {}], ["s", ""],
      ["raw", "abc"], ["raw", [1, 2]],
      ["ts", "2026-12-06T20:34:49.123456Z"], ["ts", "2026-12-06T21:34:49.5+01:00"], ["ts", "yesterday"], ["ts", 0], ["ts", new Date(0)],
      ["m", [1]], ["m", { a: 1, b: "x" }], ["m", { 'k"ey ☕': 2.5 }], ["m", {}],
      ["st", "x"], ["st", {}], ["st", { a: null }], ["st", { a: 1, b: 2 }], ["st", { a: 1 }], ["st", { a: 1, b: null, z: [] }],
      ["nf", "NaN"], ["nf", NaN], ["nf", -Infinity], ["nf", 1e39], ["nf", 2.5], ["nf", null],
      ["xs", { t: 1 }], ["xs", [{ t: new Date(0) }, { t: 5 }]], ["xs", [{}]], ["xs", []],
      ["deep", { a: [null, { n: "x" }] }], ["deep", { a: [null, { n: NaN }], b: [] }], ["deep", { a: [{ n: true }] }], ["deep", { a: {} }],
    ];

    it.each(cases)("%s = %o", (field, value) => {
      const got = callNative(MODES, "give", [{ field, json: asPython(value) }]);
      // The one word that differs: the language's own class for an instant.
      const problem = checkRow(outputs, { [field]: value }, "guest")?.replace("(a Date,", "(a datetime,") ?? null;
      expect(got.errors).toEqual(problem === null ? [] : [{ row: 0, error: `output ${problem}` }]);
      if (problem !== null) expect(got.rows).toEqual([null]);
    });

    it("a row that is not a dict, a field or struct field left out, and keys nobody declared", () => {
      const got = callNative(MODES, "shapes", [{ how: "list" }, { how: "missing" }, { how: "inner" }, { how: "extra" }]);
      expect(got.errors).toEqual([
        { row: 0, error: `output ${checkRow([], [1], "guest")}` },
        { row: 1, error: "output field 'n': missing" },
        { row: 2, error: "output field 'st.a': missing" },
      ]);
      // Undeclared keys reach the host as null (it counts and drops them); inside a struct they are dropped here.
      expect(got.rows).toEqual([null, null, null, { n: 1, st: { a: 2 }, more: null }]);
    });
  });

  it("timestamps, float32 and non-finite floats: their wire forms in and out", () => {
    const f32 = Math.fround(0.1);
    const got = callNative(MODES, "values", [
      { at: "2026-12-06T20:34:49.123456Z", f32: 0.1, nf: "Infinity", ratio: 1 },
      { at: "2026-12-06T21:34:49.1234567+01:00", f32: 1e-3, nf: 2.5, ratio: 0 },
      { at: "2016-12-31T23:59:60z", f32: 3, nf: "NaN", ratio: -1 },
      { at: "2026-12-06T20:34:49", f32: 1, nf: 1, ratio: 1 },
      { at: "2026-12-06T20:34:49Z", f32: 1e39, nf: 1, ratio: 1 },
      { at: "2026-02-30T00:00:00Z", f32: 1, nf: "nan", ratio: 1 },
    ]);
    expect(got.rows.slice(0, 3)).toEqual([
      {
        at: "2026-12-06T20:34:49.123456Z", naive: "2026-12-06T20:34:49.123457Z", local: "2026-12-06T20:34:49.123456Z",
        f32: Math.fround(f32 * 3), nf: "Infinity", inf: "Infinity", seen: `UTC ${f32} inf`,
      },
      {
        at: "2026-12-06T20:34:49.123456Z", naive: "2026-12-06T20:34:49.123457Z", local: "2026-12-06T20:34:49.123456Z",
        f32: Math.fround(Math.fround(1e-3) * 3), nf: 2.5, inf: "NaN", seen: `UTC ${Math.fround(1e-3)} 2.5`,
      },
      {
        at: "2017-01-01T00:00:00.000000Z", naive: "2017-01-01T00:00:00.000001Z", local: "2017-01-01T00:00:00.000000Z",
        f32: 9, nf: "NaN", inf: "-Infinity", seen: "UTC 3.0 nan",
      },
    ]);
    expect(got.errors).toEqual([
      { row: 3, error: "input field 'at': expected a timestamp (RFC 3339 text with a time zone, years 0001-9999)" },
      { row: 4, error: "input field 'f32': expected float32, got 1e+39 (beyond float32's range)" },
      { row: 5, error: "input field 'at': expected a timestamp (RFC 3339 text with a time zone, years 0001-9999)" },
    ]);
  });

  describe("named inputs: one argument per input, in every mode", () => {
    const rows = [
      { request: { amount: 30, at: "2026-12-06T20:34:49.123456Z" }, user_stats: { avg_amount: 12, txn_count: null } },
      { request: { amount: 5, at: "2026-01-02T00:00:00.000000Z" }, user_stats: { avg_amount: 10, txn_count: 4 } },
    ];
    const want = { rows: [{ ratio: 2.5, day: 6 }, { ratio: 0.5, day: 2 }], errors: [] };

    it.each(["by_name", "by_position", "named_batch", "named_columns"])("%s", (fn) => {
      expect(callNative(MODES, fn, rows)).toEqual(want);
    });

    it("a record missing a field: that row's error in row mode, the batch's in the others", () => {
      const broken = [rows[0], { request: { amount: 1 }, user_stats: rows[1]!.user_stats }];
      expect(callNative(MODES, "by_name", broken)).toEqual({ rows: [want.rows[0], null], errors: [{ row: 1, error: "input field 'request.at': missing" }] });
      for (const fn of ["named_batch", "named_columns"]) expect(failure(MODES, fn, broken)).toBe("row 1: input field 'request.at': missing");
    });

    it("a function that cannot take its inputs fails where it is declared", () => {
      const declare = (code: string) => {
        try {
          execFileSync(NATIVE_PYTHON, ["-B", "-c", `import sys; sys.path.insert(0, ${JSON.stringify(join(ROOT, "guest-sdk", "python"))})\nfrom vial import *\n${code}`], { stdio: "pipe" });
          return "declared";
        } catch (error) {
          return String((error as { stderr: Buffer }).stderr).trim().split("\n").pop();
        }
      };
      const inputs = `inputs={"request": [Field("a", Int64)], "user_stats": [Field("b", Int64)]}, outputs=[]`;
      expect(declare(`@transformation(${inputs})\ndef f(request): pass`)).toBe(
        "TypeError: f must take one argument per named input (request, user_stats), by those names or in that order",
      );
      expect(declare(`@transformation(${inputs})\ndef f(request, user_stats, extra): pass`)).toMatch(/^TypeError: f must take one argument per named input/);
      expect(declare(`@transformation(${inputs}, mode="columns")\ndef f(*records): pass`)).toBe("declared");
      expect(declare(`@transformation(inputs=[], outputs=[], mode="frames")\ndef f(row): pass`)).toBe(
        "ValueError: mode must be one of 'row', 'batch', 'columns', 'pandas', got 'frames'",
      );
      expect(declare(`@transformation(inputs=[Field("a", Int64), Field("a", String)], outputs=[])\ndef f(row): pass`)).toBe(
        "ValueError: inputs declares the field 'a' twice",
      );
      expect(declare(`NonFinite(Int64)`)).toBe("TypeError: NonFinite takes Float64 or Float32, got int64");
    });
  });

  describe("columns mode", () => {
    const xs = [{ x: 1, how: "ok" }, { x: 2, how: "ok" }, { x: 3, how: "ok" }];
    const how = (h: string) => xs.map((r) => ({ ...r, how: h }));

    it("a dict of columns in and out; a missing optional column is null", () => {
      expect(callNative(MODES, "columns", xs)).toEqual({ rows: [{ y: 2, note: null }, { y: 4, note: null }, { y: 6, note: null }], errors: [] });
      expect(callNative(MODES, "columns", [])).toEqual({ rows: [], errors: [] });
    });

    it("a value that breaks the schema is its row's error; undeclared columns reach the host as null", () => {
      expect(callNative(MODES, "columns", how("bad-value"))).toEqual({
        rows: [{ y: 2, note: null, extra: null }, null, { y: 6, note: null, extra: null }],
        errors: [{ row: 1, error: "output field 'y': expected float64, got string" }],
      });
    });

    it("the wrong shape fails the batch, naming the column", () => {
      expect(failure(MODES, "columns", how("short"))).toBe("columns returned 2 values in column 'y' for 3 rows");
      expect(failure(MODES, "columns", how("missing"))).toBe("columns returned no column 'y'");
      expect(failure(MODES, "columns", how("text"))).toBe("columns returned column 'y' as string, not a list");
      expect(failure(MODES, "columns", how("tuple"))).toBe("columns returned an array, not a dict of columns");
      expect(failure(MODES, "columns", how("raise"))).toMatch(/^ValueError: no columns today \(at columns line \d+\)$/);
    });

    it("batch mode: a list of one row per input row, or the batch fails", () => {
      expect(failure(MODES, "batch_shapes", [{ x: 0 }, { x: 1 }])).toBe("batch_shapes returned object, not a list of 2 rows");
      expect(failure(MODES, "batch_shapes", [{ x: 1 }, { x: 2 }])).toBe("batch_shapes returned 1 rows for 2 input rows");
    });
  });

  describe("pandas mode (Debian's pandas)", () => {
    beforeAll(() => void ensureDebianPandas(), 600_000);

    const every = {
      i: -3, i32: 2 ** 31 - 1, f: 0.5, f32: 0.1, b: true, s: "héllo", raw: "AAEC", ts: "2026-12-06T20:34:49.123456Z",
      xs: [1, 2], m: { k: "v" }, st: { a: 3 }, nf: "NaN", oi: null, oi32: null, of: null, of32: null, ob: null, os: null, ots: null, onf: "-Infinity",
    };
    const other = {
      i: 4, i32: -7, f: -1.25, f32: 2.5, b: false, s: "", raw: "", ts: "1999-01-01T00:00:00.000000Z",
      xs: [], m: {}, st: { a: -1 }, nf: 1.5, oi: 5, oi32: 6, of: 2.25, of32: 0.5, ob: false, os: "x", ots: "2000-01-01T00:00:00.000001Z", onf: null,
    };

    it("each type arrives as its dtype and comes back as it went in", () => {
      const got = callNative(PANDAS, "frame_echo", [every, other]);
      const dtypes = {
        i: "int64", i32: "int32", f: "float64", f32: "float32", b: "bool", s: "object", raw: "object", ts: "datetime64[ns, UTC]",
        xs: "object", m: "object", st: "object", nf: "float64", oi: "Int64", oi32: "Int32", of: "Float64", of32: "Float32",
        ob: "boolean", os: "object", ots: "datetime64[ns, UTC]", onf: "Float64",
      };
      expect(got).toEqual({ rows: [{ dtypes, ...every, f32: Math.fround(0.1) }, { dtypes, ...other }], errors: [] });
      expect(callNative(PANDAS, "frame_echo", [])).toEqual({ rows: [], errors: [] });
    });

    it("named inputs: one DataFrame each; missing values out as null, a naive timestamp as UTC", () => {
      const at = (t: string) => `2026-12-06T${t}.000000Z`;
      const got = callNative(PANDAS, "amounts", [
        { request: { amount: 5, at: at("01:00:00") }, user_stats: { avg_amount: 2 } },
        { request: { amount: 50, at: at("13:30:00") }, user_stats: { avg_amount: null } },
        { request: { amount: 500, at: at("23:59:59") }, user_stats: { avg_amount: 1000 } },
      ]);
      expect(got).toEqual({
        rows: [
          { ratio: 2.5, bucket: "small", hour: 1, later: at("02:00:00") },
          { ratio: null, bucket: "mid", hour: 13, later: at("14:30:00") },
          { ratio: 0.5, bucket: "large", hour: 23, later: "2026-12-07T00:59:59.000000Z" },
        ],
        errors: [],
      });
    });

    it("values are checked column by column; NaN in a required float is its row's error", () => {
      const rows = [1, 2, 3].map((x) => ({ x, how: "nan" }));
      expect(callNative(PANDAS, "shapes", rows)).toEqual({
        rows: [{ y: 2, n: 1 }, null, { y: 6, n: 1 }],
        errors: [{ row: 1, error: "output field 'y': expected a finite float64, got NaN" }],
      });
    });

    it("the wrong shape fails the batch, naming what is wrong", () => {
      const how = (h: string) => [1, 2, 3].map((x) => ({ x, how: h }));
      expect(failure(PANDAS, "shapes", how("series"))).toBe("shapes returned Series, not a DataFrame");
      expect(failure(PANDAS, "shapes", how("short"))).toBe("shapes returned a DataFrame of 2 rows for 3 input rows");
      expect(failure(PANDAS, "shapes", how("missing"))).toBe("shapes returned no column 'y'");
      expect(failure(PANDAS, "shapes", how("twice"))).toBe("shapes returned 2 columns named 'y'");
      expect(failure(PANDAS, "old_times", [{ ts: "2000-01-01T00:00:00.000000Z" }, { ts: "1500-01-01T00:00:00.000000Z" }])).toBe(
        "row 1: input field 'ts': 1500-01-01T00:00:00.000000Z is outside what pandas' datetime64[ns] holds (1677-09-21 to 2262-04-11)",
      );
    });
  });
});
