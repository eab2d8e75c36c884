/**
 * The executor's row work (executor/rows.ts over executor/wire-values.ts and
 * runtime/schema.ts), on pure inputs: what a caller sends is put in the
 * wire form (timestamps canonical, float32 rounded, NaN and ±Infinity as text,
 * structs reduced at every level) or refused with the row and field; what a
 * guest returns is put in the answer's form or becomes that row's error; an
 * optional field left undefined reaches the guest as null; output keys no
 * field declares are counted. And the batch's size, bounded before it is built.
 */
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { bytesToBinary, checkOutputs, inputProblem, leastBatchBytes, MAX_UNDECLARED_KEYS_PER_ROW, prepareInputs, undeclaredKeys, type RowError } from "../../executor/rows.ts";
import { decodeBody } from "../../runtime/codec.ts";
import { dateOfSeconds, dateOfText } from "../../runtime/cbor-dates.ts";
import { ApiError } from "../../runtime/errors.ts";
import type { FieldSchema } from "../../runtime/schema.ts";

const FIELDS: FieldSchema[] = [
  { name: "x", type: "float64" },
  { name: "maybe", type: { optional: "float64" } },
  { name: "xs", type: { array: "float64" } },
];
const fine = { x: 1.5, maybe: null, xs: [] };

function refusal(rows: unknown[]): string | undefined {
  try {
    prepareInputs(FIELDS, rows);
    return undefined;
  } catch (error) {
    if (!(error instanceof ApiError)) throw error;
    expect(error).toMatchObject({ status: 400, code: "invalid_row" });
    return error.message;
  }
}

describe("float64 inputs", () => {
  it("refuses NaN, ±Infinity and undefined with the row, the field and what was sent", () => {
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ ...fine, x: NaN }, "field 'x': expected a finite float64, got NaN"],
      [{ ...fine, x: Infinity }, "field 'x': expected a finite float64, got Infinity"],
      [{ ...fine, x: -Infinity }, "field 'x': expected a finite float64, got -Infinity"],
      [{ ...fine, x: undefined }, "field 'x': missing"],
      [{ maybe: null, xs: [] }, "field 'x': missing"],
      [{ ...fine, maybe: NaN }, "field 'maybe': expected a finite float64, got NaN"],
      [{ ...fine, xs: [1, Infinity] }, "field 'xs[1]': expected a finite float64, got Infinity"],
      [{ ...fine, xs: [undefined] }, "field 'xs[0]': missing"],
    ];
    for (const [row, problem] of cases) expect(refusal([fine, fine, fine, row])).toMatch(new RegExp(`^row 3: ${problem.replace(/[[\]()]/g, "\\$&")} \\(`));
  });

  it("refuses 1e400 from JSON (JSON.parse makes it Infinity), which reached guests as null", () => {
    const { rows } = decodeBody("json", Buffer.from('{"rows": [{"x": 1e400, "xs": []}]}')) as { rows: unknown[] };
    expect(refusal(rows)).toMatch(/^row 0: field 'x': expected a finite float64, got Infinity/);
    const { rows: negative } = decodeBody("json", Buffer.from('{"rows": [{"x": 1, "xs": [-1e400]}]}')) as { rows: unknown[] };
    expect(refusal(negative)).toMatch(/^row 0: field 'xs\[0\]': expected a finite float64, got -Infinity/);
  });

  it("refuses non-finite numbers in int64 fields by name too", () => {
    expect(() => prepareInputs([{ name: "n", type: "int64" }], [{ n: Infinity }])).toThrow(/^row 0: field 'n': expected int64, got Infinity/);
  });

  it("passes an optional field left undefined to the guest as null, as if absent", () => {
    const rows = prepareInputs(FIELDS, [{ x: 1, maybe: undefined, xs: [] }, { x: 2, xs: [] }]);
    expect(JSON.stringify(rows)).toBe('[{"x":1,"maybe":null,"xs":[]},{"x":2,"maybe":null,"xs":[]}]');
    const optionalItems = prepareInputs([{ name: "xs", type: { array: { optional: "float64" } } }], [{ xs: [1, undefined] }]);
    expect(JSON.stringify(optionalItems)).toBe('[{"xs":[1,null]}]');
  });
});

describe("float64 outputs", () => {
  it("makes a non-finite or undefined output that row's error, naming what came back", () => {
    // An envelope parsed from JSON holds Infinity for 1e400; a guest's row may hold anything.
    const errors: RowError[] = [];
    const rows = checkOutputs(FIELDS, [{ ...fine, x: Infinity }, fine, { ...fine, x: undefined }, { ...fine, xs: [NaN] }], errors);
    expect(rows).toEqual([null, { x: 1.5, maybe: null, xs: [] }, null, null]);
    expect(errors).toEqual([
      { row: 0, error: "output field 'x': expected a finite float64, got Infinity" },
      { row: 2, error: "output field 'x': missing" },
      { row: 3, error: "output field 'xs[0]': expected a finite float64, got NaN" },
    ]);
  });
});

/** The 400 prepareInputs throws for `rows` (its message up to the hint), or undefined when they pass. */
function refusedWith(fields: FieldSchema[], rows: unknown[]): string | undefined {
  try {
    prepareInputs(fields, rows);
    return undefined;
  } catch (error) {
    if (!(error instanceof ApiError)) throw error;
    expect(error).toMatchObject({ status: 400, code: "invalid_row" });
    return error.message.replace(/ \(rows must match.*$/, "");
  }
}

/** Output rows as checkOutputs answers them, with the errors it adds. */
function outputs(fields: FieldSchema[], rows: unknown[]): { rows: unknown[]; errors: RowError[] } {
  const errors: RowError[] = [];
  return { rows: checkOutputs(fields, rows, errors), errors };
}

describe("timestamps", () => {
  const at: FieldSchema[] = [{ name: "at", type: "timestamp" }];
  const canonical = "2026-12-06T20:34:49.123456Z";

  it("reach the guest as canonical text (UTC, microseconds) from RFC 3339 in any zone, a Date or a CBOR date", () => {
    const given = [
      "2026-12-06T21:34:49.123456+01:00",
      "2026-12-06t20:34:49.123456789z",
      "2026-12-06 15:04:49.123456-05:30",
      canonical,
      dateOfText("2026-12-06T20:34:49.123456-00:00"),
      dateOfSeconds(Date.UTC(2026, 11, 6, 20, 34, 49) / 1000 + 0.123456),
    ];
    expect(prepareInputs(at, given.map((value) => ({ at: value })))).toEqual(given.map(() => ({ at: canonical })));
    expect(prepareInputs(at, [{ at: new Date(Date.UTC(2026, 11, 6, 20, 34, 49, 123)) }])).toEqual([{ at: "2026-12-06T20:34:49.123000Z" }]);
    expect(prepareInputs(at, [{ at: "0001-01-01T00:00:00Z" }, { at: "9999-12-31T23:59:59.999999Z" }])).toEqual([
      { at: "0001-01-01T00:00:00.000000Z" },
      { at: "9999-12-31T23:59:59.999999Z" },
    ]);
  });

  it("are refused without a zone, outside years 0001-9999 or as anything else, naming the row and the field", () => {
    const problem = "expected a timestamp (RFC 3339 text with a time zone, years 0001-9999)";
    for (const value of ["2026-12-06T20:34:49", "2026-12-06", "10000-01-01T00:00:00Z", "0000-12-31T23:59:59Z", "2026-02-30T00:00:00Z", 1765053289, new Date(NaN), dateOfText("2026-12-06T20:34:49")]) {
      expect(refusedWith(at, [{ at: canonical }, { at: value }])).toBe(`row 1: field 'at': ${problem}`);
    }
    const nested: FieldSchema[] = [{ name: "request", type: { struct: [{ name: "events", type: { array: "timestamp" } }] } }];
    expect(refusedWith(nested, [{ request: { events: [canonical, "yesterday"] } }])).toBe(`row 0: field 'request.events[1]': ${problem}`);
  });

  it("are what a CBOR date is: any other field refuses one as a date, bytes and containers included", () => {
    const date = dateOfSeconds(1);
    const cases: Array<[FieldSchema["type"], string]> = [
      ["string", "expected string, got a date"],
      [{ array: "bytes" }, "expected array<bytes>, got a date"],
      [{ map: "float64" }, "expected map<float64>, got a date"],
      [{ struct: [{ name: "a", type: "bytes" }] }, "expected struct{a: bytes}, got a date"],
      [{ nonFinite: "float64" }, "expected float64, got a date"],
    ];
    for (const [type, problem] of cases) expect(refusedWith([{ name: "x", type }], [{ x: date }])).toBe(`row 0: field 'x': ${problem}`);
    expect(refusedWith([{ name: "xs", type: { array: "bytes" } }], [{ xs: [date] }])).toBe("row 0: field 'xs[0]': expected bytes as a base64 string");
  });

  it("are answered canonical, whatever zone the guest wrote them in; without a zone they are that row's error", () => {
    const answer = outputs(at, [{ at: "2026-12-06T21:34:49.123456+01:00" }, { at: "2026-12-06T20:34:49" }, { at: canonical }]);
    expect(answer.rows).toEqual([{ at: canonical }, null, { at: canonical }]);
    expect(answer.errors).toEqual([{ row: 1, error: "output field 'at': expected a timestamp (RFC 3339 text with a time zone, years 0001-9999)" }]);
  });
});

describe("float32 and int32", () => {
  const fields: FieldSchema[] = [
    { name: "rate", type: "float32" },
    { name: "rates", type: { array: { optional: "float32" } } },
    { name: "n", type: "int32" },
  ];

  it("round float32 values to the nearest float32 both ways, and refuse finite values beyond its range", () => {
    const [row] = prepareInputs(fields, [{ rate: 0.1, rates: [0.2, null, 3.4028234663852886e38], n: -(2 ** 31) }]);
    expect(row).toEqual({ rate: Math.fround(0.1), rates: [Math.fround(0.2), null, 3.4028234663852886e38], n: -(2 ** 31) });
    expect(row!.rate).not.toBe(0.1);
    expect(refusedWith(fields, [{ rate: 1e39, rates: [], n: 0 }])).toBe("row 0: field 'rate': expected float32, got 1e+39 (beyond float32's range)");
    expect(refusedWith(fields, [{ rate: 0, rates: [-3.5e38], n: 0 }])).toBe("row 0: field 'rates[0]': expected float32, got -3.5e+38 (beyond float32's range)");
    expect(refusedWith(fields, [{ rate: 0, rates: [], n: 2 ** 31 }])).toBe("row 0: field 'n': expected int32, got number (outside -2^31..2^31-1)");
    const answer = outputs(fields, [{ rate: 0.1, rates: [1 / 3], n: 7 }, { rate: 1e39, rates: [], n: 1 }]);
    expect(answer.rows).toEqual([{ rate: Math.fround(0.1), rates: [Math.fround(1 / 3)], n: 7 }, null]);
    expect(answer.errors).toEqual([{ row: 1, error: "output field 'rate': expected float32, got 1e+39 (beyond float32's range)" }]);
  });
});

describe("NaN and ±Infinity", () => {
  const fields: FieldSchema[] = [
    { name: "ratio", type: { nonFinite: "float64" } },
    { name: "conv", type: { optional: { nonFinite: "float32" } } },
  ];

  it("reach the guest as text in fields that allow them (JSON cannot carry them), as numbers or as text", () => {
    const rows = prepareInputs(fields, [{ ratio: NaN, conv: -Infinity }, { ratio: "Infinity", conv: "NaN" }, { ratio: 0.1, conv: 0.1 }, { ratio: -Infinity }]);
    expect(rows).toEqual([
      { ratio: "NaN", conv: "-Infinity" },
      { ratio: "Infinity", conv: "NaN" },
      { ratio: 0.1, conv: Math.fround(0.1) },
      { ratio: "-Infinity", conv: null },
    ]);
    expect(refusedWith(fields, [{ ratio: "nan" }])).toBe("row 0: field 'ratio': expected float64, got string");
    expect(refusedWith([{ name: "x", type: "float64" }], [{ x: "NaN" }])).toBe("row 0: field 'x': expected float64, got string");
  });

  it("are answered as numbers from the text a guest writes (or the 1e400 JSON reads as Infinity)", () => {
    const answer = outputs(fields, [{ ratio: "NaN", conv: "-Infinity" }, { ratio: Infinity, conv: null }, { ratio: "Inf" }]);
    expect(answer.rows).toEqual([{ ratio: NaN, conv: -Infinity }, { ratio: Infinity, conv: null }, null]);
    expect(answer.errors).toEqual([{ row: 2, error: "output field 'ratio': expected float64, got string" }]);
  });
});

describe("structs and maps", () => {
  const inner: FieldSchema[] = [
    { name: "amount", type: "float64" },
    { name: "note", type: { optional: "string" } },
  ];
  const fields: FieldSchema[] = [
    { name: "request", type: { struct: inner } },
    { name: "history", type: { array: { struct: inner } } },
    { name: "by_day", type: { map: { struct: inner } } },
  ];

  it("keep their declared fields at every level, absent optional ones as null", () => {
    const row = { request: { amount: 1, extra: 2 }, history: [{ amount: 2, note: "x", deep: { a: 1 } }], by_day: { mon: { amount: 3, other: true } }, top: 1 };
    expect(prepareInputs(fields, [row])).toEqual([
      { request: { amount: 1, note: null }, history: [{ amount: 2, note: "x" }], by_day: { mon: { amount: 3, note: null } } },
    ]);
    expect(outputs(fields, [row]).rows).toEqual(prepareInputs(fields, [row]));
  });

  it("say which field inside them is missing or wrong", () => {
    const fine = { request: { amount: 1 }, history: [], by_day: {} };
    expect(refusedWith(fields, [{ ...fine, request: {} }])).toBe("row 0: field 'request.amount': missing");
    expect(refusedWith(fields, [{ ...fine, request: { amount: null } }])).toBe("row 0: field 'request.amount': expected float64, got null");
    expect(refusedWith(fields, [{ ...fine, history: [{ amount: 1 }, { note: "x" }] }])).toBe("row 0: field 'history[1].amount': missing");
    expect(refusedWith(fields, [{ ...fine, by_day: { tue: { amount: "3" } } }])).toBe(`row 0: field 'by_day["tue"].amount': expected float64, got string`);
    expect(refusedWith(fields, [{ ...fine, request: [1] }])).toBe("row 0: field 'request': expected struct{amount: float64, note: optional<string>}, got array");
    expect(outputs(fields, [{ ...fine, history: [{}] }]).errors).toEqual([{ row: 0, error: "output field 'history[0].amount': missing" }]);
  });

  it("keep a map's keys as its own, __proto__ included, and answer only well-formed ones", () => {
    const map: FieldSchema[] = [{ name: "m", type: { map: { optional: "int32" } } }];
    const [row] = prepareInputs(map, [JSON.parse('{"m": {"__proto__": 1, "constructor": 2}}')]);
    expect(Object.keys(row!.m as object)).toEqual(["__proto__", "constructor"]);
    expect(Object.getPrototypeOf(row!.m)).toBe(Object.prototype);
    expect(JSON.stringify(row)).toBe('{"m":{"__proto__":1,"constructor":2}}');
    const answer = outputs(map, [JSON.parse('{"m": {"a\\ud800": 1}}')]);
    expect(Object.keys((answer.rows[0] as { m: object }).m)).toEqual(["a\ufffd"]);
  });

  it("hold bytes as byte strings for binary answers, wherever they are nested", () => {
    const bytes: FieldSchema[] = [
      { name: "s", type: { struct: [{ name: "b", type: "bytes" }, { name: "n", type: "int64" }] } },
      { name: "m", type: { map: { array: "bytes" } } },
      { name: "o", type: { optional: "bytes" } },
    ];
    const inputs = prepareInputs(bytes, [{ s: { b: new Uint8Array([1, 2]), n: 1 }, m: { k: [new Uint8Array([3]), "BA=="] } }]);
    expect(inputs).toEqual([{ s: { b: "AQI=", n: 1 }, m: { k: ["Aw==", "BA=="] }, o: null }]);
    const [binary] = bytesToBinary(bytes, outputs(bytes, inputs).rows as Array<Record<string, unknown> | null>);
    expect(binary).toEqual({ s: { b: new Uint8Array([1, 2]), n: 1 }, m: { k: [new Uint8Array([3]), new Uint8Array([4])] }, o: null });
  });
});

describe("one row alone", () => {
  it("is refused as prepareInputs refuses it, with the same conversions first", () => {
    const fields: FieldSchema[] = [{ name: "at", type: "timestamp" }];
    expect(inputProblem(fields, { at: "2026-12-06T21:34:49+01:00" })).toBeNull();
    expect(inputProblem(fields, { at: "2026-12-06T21:34:49" })).toBe("field 'at': expected a timestamp (RFC 3339 text with a time zone, years 0001-9999)");
    expect(inputProblem(fields, [1])).toBe("expected an object, got array");
  });
});

describe("undeclared output keys", () => {
  const fields: FieldSchema[] = [
    { name: "a", type: "int64" },
    { name: "b", type: { optional: "int64" } },
    { name: "s", type: { struct: [{ name: "x", type: "int64" }] } },
  ];

  it("are counted per key a row holds beyond its declared fields (top level), failed rows included", () => {
    const rows = [{ a: 1, s: { x: 1, y: 2 } }, { a: 1, b: 2, s: { x: 1 }, extra: 1, more: 2 }, null, { a: "wrong", s: { x: 1 }, c: 1 }, "not a row"];
    expect(undeclaredKeys(fields, rows)).toBe(3);
    expect(undeclaredKeys(fields, [JSON.parse('{"a": 1, "s": {"x": 1}, "__proto__": 1}')])).toBe(1);
    expect(outputs(fields, rows).rows[1]).toEqual({ a: 1, b: 2, s: { x: 1 } });
  });

  it(`stop at ${MAX_UNDECLARED_KEYS_PER_ROW} a row`, () => {
    const wide = Object.fromEntries(Array.from({ length: 5000 }, (_, i) => [`k${i}`, i]));
    expect(undeclaredKeys(fields, [wide, wide, { a: 1, s: { x: 1 }, k: 1 }])).toBe(2 * MAX_UNDECLARED_KEYS_PER_ROW + 1);
  });
});

describe("the batch's size", () => {
  const sparse: FieldSchema[] = Array.from({ length: 8 }, (_, i) => ({ name: `a_sparse_feature_with_a_rather_long_name_${i}`, type: { optional: "float64" } }));

  it("refuses empty rows that would grow past the guest's memory limit, before building any", () => {
    // 1,000,000 empty rows: 1 MiB of CBOR, over 360 MB once every row holds every field.
    const rows = new Array(1_000_000).fill({});
    const limit = 256 * 2 ** 20;
    const least = leastBatchBytes(sparse, rows.length);
    expect(least).toBeGreaterThan(limit);
    expect(least).toBeLessThanOrEqual(JSON.stringify(prepareInputs(sparse, [{}])).length * rows.length);
    expect(() => prepareInputs(sparse, rows, limit)).toThrow(
      `1000000 rows would reach the function as at least ${least} bytes of JSON (every row holds all 8 input fields), more than its memory limit of ${limit} bytes: send fewer rows per call`,
    );
    expect(prepareInputs(sparse, rows.slice(0, 1000), limit)).toHaveLength(1000);
  });

  it("counts a struct's own fields, at every level of required structs", () => {
    const nested: FieldSchema[] = [{ name: "s", type: { struct: [{ name: "t", type: { struct: sparse } }, { name: "u", type: { optional: { struct: sparse } } }] } }];
    const least = leastBatchBytes(nested, 1);
    expect(least).toBeGreaterThan(leastBatchBytes(sparse, 1));
    const smallest = JSON.stringify(prepareInputs(nested, [{ s: { t: {} } }]));
    expect(smallest).toBe(`[{"s":{"t":${JSON.stringify(prepareInputs(sparse, [{}])[0])},"u":null}}]`);
    expect(least).toBeLessThanOrEqual(smallest.length);
  });

  it("never counts more than the batch takes", () => {
    const field = fc.record({
      name: fc.string({ minLength: 1, maxLength: 20 }).filter((name) => name !== "__proto__"),
      type: fc.constantFrom<FieldSchema["type"]>(
        "float64",
        "int64",
        "string",
        "bool",
        "timestamp",
        { optional: "float64" },
        { optional: "string" },
        { array: "int64" },
        { struct: [{ name: "a", type: { optional: "int64" } }, { name: "b", type: { struct: [{ name: "c", type: { optional: "bool" } }] } }] },
        { optional: { struct: [{ name: "a", type: "int64" }] } },
      ),
    });
    const value = (type: FieldSchema["type"]): fc.Arbitrary<unknown> => {
      if (typeof type === "object" && "optional" in type) return fc.option(value(type.optional), { nil: undefined });
      if (typeof type === "object" && "array" in type) return fc.array(fc.integer(), { maxLength: 3 });
      if (typeof type === "object" && "struct" in type) return fc.record(Object.fromEntries(type.struct.map((f) => [f.name, value(f.type)])));
      const timestamp = fc.date({ min: new Date("0001-01-01T00:00:00Z"), max: new Date("9999-12-31T23:59:59Z"), noInvalidDate: true });
      return { float64: fc.double({ noNaN: true, noDefaultInfinity: true }), int64: fc.integer(), string: fc.string(), bool: fc.boolean(), timestamp }[type as string]!;
    };
    const batch = fc.uniqueArray(field, { selector: (f) => f.name, minLength: 1, maxLength: 6 }).chain((fields) =>
      fc.tuple(fc.constant(fields), fc.array(fc.record(Object.fromEntries(fields.map((f) => [f.name, value(f.type)]))), { maxLength: 5 })),
    );
    fc.assert(
      fc.property(batch, ([fields, rows]) => {
        expect(leastBatchBytes(fields, rows.length)).toBeLessThanOrEqual(JSON.stringify(prepareInputs(fields, rows)).length);
      }),
      { numRuns: 2000 },
    );
  });
});
