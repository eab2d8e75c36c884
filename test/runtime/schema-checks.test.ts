/**
 * The row check on pure inputs: the function made once per schema (what every row goes through) agrees with the
 * walk over the type (what names a problem) on every kind of type, fitting and not, in both value forms.
 */
import { describe, expect, it } from "vitest";
import { checkRow, rowProblem, type FieldSchema, type FieldType, type ScalarType, type ValueForm } from "../../runtime/schema.ts";
import { random } from "../offline/helpers.ts";

const SCALARS: ScalarType[] = ["string", "int64", "int32", "float64", "float32", "bool", "bytes", "timestamp"];

/** Values that fit one type or another, and values that fit none. */
const VALUES: unknown[] = [
  undefined, null, "", "text", "AAAA", "not base64!", "NaN", "Infinity", "-Infinity", "2026-12-06T20:34:49.123456Z", "2026-12-06T21:34:49+01:00",
  "2026-13-40T00:00:00Z", 0, 1, -1, 1.5, 2 ** 31, -(2 ** 31) - 1, 2 ** 53, 3.5e38, NaN, Infinity, -Infinity, true, false,
  new Uint8Array([1, 2]), new Date(0), new Date(Number.NaN), [], [1, "a"], {}, { a: 1 },
];

function pick<T>(r: () => number, items: readonly T[]): T {
  return items[Math.floor(r() * items.length)]!;
}

function randomType(r: () => number, depth: number): FieldType {
  const kind = depth > 2 ? 0 : Math.floor(r() * 6);
  switch (kind) {
    case 1:
      return { optional: randomType(r, depth + 1) };
    case 2:
      return { array: randomType(r, depth + 1) };
    case 3:
      return { map: randomType(r, depth + 1) };
    case 4:
      return { struct: randomFields(r, depth + 1) };
    case 5:
      return { nonFinite: pick(r, ["float64", "float32"] as const) };
    default:
      return pick(r, SCALARS);
  }
}

function randomFields(r: () => number, depth: number): FieldSchema[] {
  return Array.from({ length: 1 + Math.floor(r() * 3) }, (_, i) => ({ name: pick(r, ["a", "b", "__proto__", "c d"]) + i, type: randomType(r, depth) }));
}

/** A value shaped like `type` most of the time, with a wrong or missing value somewhere now and then. */
function randomValue(r: () => number, type: FieldType): unknown {
  if (r() < 0.15) return pick(r, VALUES);
  if (typeof type === "string") return pick(r, VALUES);
  if ("optional" in type) return r() < 0.3 ? pick(r, [null, undefined]) : randomValue(r, type.optional);
  if ("nonFinite" in type) return pick(r, [NaN, Infinity, "NaN", "-Infinity", 1.5, 3.5e38, "1.5", null]);
  if ("array" in type) return Array.from({ length: Math.floor(r() * 3) }, () => randomValue(r, type.array));
  if ("map" in type) return Object.fromEntries(Array.from({ length: Math.floor(r() * 3) }, (_, i) => [`k${i}`, randomValue(r, type.map)]));
  return randomRecord(r, type.struct);
}

function randomRecord(r: () => number, fields: FieldSchema[]): Record<string, unknown> {
  const record: Record<string, unknown> = {};
  for (const { name, type } of fields) {
    if (r() < 0.1) continue;
    Object.defineProperty(record, name, { value: randomValue(r, type), enumerable: true, writable: true, configurable: true });
  }
  return record;
}

describe("the row check", () => {
  it("made once per schema, says a row fits exactly when walking its type finds no problem", () => {
    const r = random(7);
    let fitting = 0;
    for (let i = 0; i < 4000; i++) {
      const fields = randomFields(r, 0);
      for (let j = 0; j < 5; j++) {
        const row = r() < 0.05 ? pick(r, VALUES) : randomRecord(r, fields);
        for (const form of ["wire", "guest"] as ValueForm[]) {
          const walked = rowProblem(fields, row, form);
          expect(checkRow(fields, row, form), JSON.stringify({ fields, form })).toBe(walked);
          if (walked === null) fitting++;
        }
      }
    }
    // Both outcomes are well represented.
    expect(fitting).toBeGreaterThan(2000);
    expect(fitting).toBeLessThan(38_000);
  });

  it("names the first field that does not fit, inside structs, arrays and maps", () => {
    const fields: FieldSchema[] = [
      { name: "user", type: { struct: [{ name: "tags", type: { map: { array: "int32" } } }] } },
      { name: "at", type: "timestamp" },
    ];
    expect(checkRow(fields, { user: { tags: { x: [1, 2] } }, at: "2026-12-06T20:34:49.123456Z" }, "wire")).toBeNull();
    expect(checkRow(fields, { user: { tags: { x: [1, 2 ** 31] } }, at: "2026-12-06T20:34:49.123456Z" }, "wire")).toBe(
      `field 'user.tags["x"][1]': expected int32, got number (outside -2^31..2^31-1)`,
    );
    expect(checkRow(fields, { user: { tags: {} } }, "wire")).toBe("field 'at': missing");
  });
});
