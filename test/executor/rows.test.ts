/**
 * The float64 and undefined rule at the executor's row checks (executor/rows.ts
 * over guest-sdk/js/schema.ts), on pure inputs: what a caller sends is
 * refused with the row and field, what a guest returns becomes that row's
 * error, and an optional field left undefined reaches the guest as null.
 * And the batch's size, bounded before it is built.
 */
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { checkOutputs, leastBatchBytes, prepareInputs, type RowError } from "../../executor/rows.ts";
import { decodeBody } from "../../runtime/codec.ts";
import { ApiError } from "../../runtime/errors.ts";
import type { FieldSchema } from "../../guest-sdk/js/schema.ts";

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

  it("never counts more than the batch takes", () => {
    const field = fc.record({
      name: fc.string({ minLength: 1, maxLength: 20 }).filter((name) => name !== "__proto__"),
      type: fc.constantFrom<FieldSchema["type"]>("float64", "int64", "string", "bool", { optional: "float64" }, { optional: "string" }, { array: "int64" }),
    });
    const value = (type: FieldSchema["type"]): fc.Arbitrary<unknown> => {
      if (typeof type === "object" && "optional" in type) return fc.option(value(type.optional), { nil: undefined });
      if (typeof type === "object" && "array" in type) return fc.array(fc.integer(), { maxLength: 3 });
      return { float64: fc.double({ noNaN: true, noDefaultInfinity: true }), int64: fc.integer(), string: fc.string(), bool: fc.boolean() }[type as string]!;
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
