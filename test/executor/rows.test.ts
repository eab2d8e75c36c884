/**
 * The float64 and undefined rule at the executor's row checks (executor/rows.ts
 * over guest-sdk/js/schema.ts), on pure inputs: what a caller sends is
 * refused with the row and field, what a guest returns becomes that row's
 * error, and an optional field left undefined reaches the guest as null.
 */
import { describe, expect, it } from "vitest";
import { checkOutputs, prepareInputs, type RowError } from "../../executor/rows.ts";
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
      [{ ...fine, x: undefined }, "field 'x': expected float64, got undefined"],
      [{ maybe: null, xs: [] }, "field 'x': expected float64, got undefined"],
      [{ ...fine, maybe: NaN }, "field 'maybe': expected a finite float64, got NaN"],
      [{ ...fine, xs: [1, Infinity] }, "field 'xs': [1]: expected a finite float64, got Infinity"],
      [{ ...fine, xs: [undefined] }, "field 'xs': [0]: expected float64, got undefined"],
    ];
    for (const [row, problem] of cases) expect(refusal([fine, fine, fine, row])).toMatch(new RegExp(`^row 3: ${problem.replace(/[[\]()]/g, "\\$&")} \\(`));
  });

  it("refuses 1e400 from JSON (JSON.parse makes it Infinity), which reached guests as null", () => {
    const { rows } = decodeBody("json", Buffer.from('{"rows": [{"x": 1e400, "xs": []}]}')) as { rows: unknown[] };
    expect(refusal(rows)).toMatch(/^row 0: field 'x': expected a finite float64, got Infinity/);
    const { rows: negative } = decodeBody("json", Buffer.from('{"rows": [{"x": 1, "xs": [-1e400]}]}')) as { rows: unknown[] };
    expect(refusal(negative)).toMatch(/^row 0: field 'xs': \[0\]: expected a finite float64, got -Infinity/);
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
      { row: 2, error: "output field 'x': expected float64, got undefined" },
      { row: 3, error: "output field 'xs': [0]: expected a finite float64, got NaN" },
    ]);
  });
});
