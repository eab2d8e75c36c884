/**
 * The type tests' own account of the wire (docs/types.md), written apart from the SDK and the executor so that it
 * can judge them: a function's values (Date, Uint8Array, numbers) in the form a request sends them and the form an
 * answer must carry them, and generated values of every type.
 */
import fc from "fast-check";
import type { FieldSchema, FieldType } from "../../runtime/schema.ts";

export type Format = "json" | "cbor";

/** `value` shaped by `type`, each leaf through `leaf`; structs keep their declared fields (absent optional ones as null). */
function walk(type: FieldType, value: unknown, leaf: (type: FieldType, value: unknown) => unknown): unknown {
  if (value === null || value === undefined) return null;
  if (typeof type === "string" || "nonFinite" in type) return leaf(type, value);
  if ("optional" in type) return walk(type.optional, value, leaf);
  if ("array" in type) return (value as unknown[]).map((item) => walk(type.array, item, leaf));
  const record = value as Record<string, unknown>;
  if ("map" in type) return Object.fromEntries(Object.entries(record).map(([k, v]) => [k, walk(type.map, v, leaf)]));
  return Object.fromEntries(type.struct.map((f) => [f.name, walk(f.type, record[f.name], leaf)]));
}

const walkRow = (fields: FieldSchema[], row: Record<string, unknown>, leaf: (type: FieldType, value: unknown) => unknown) =>
  Object.fromEntries(fields.map((f) => [f.name, walk(f.type, row[f.name], leaf)]));

/** UTC with microseconds: a Date holds milliseconds, so the last three digits are zeros. */
export const canonical = (date: Date): string => date.toISOString().replace(/Z$/, "000Z");

const base64 = (bytes: Uint8Array) => Buffer.from(bytes).toString("base64");

/** A row as a caller sends it: timestamps as canonical text, bytes as base64 (JSON) or byte strings, NaN as text in JSON. */
export const requestRow = (fields: FieldSchema[], row: Record<string, unknown>, format: Format) =>
  walkRow(fields, row, (type, value) => {
    if (type === "timestamp") return canonical(value as Date);
    if (type === "bytes") return format === "json" ? base64(value as Uint8Array) : value;
    if (typeof type === "object" && format === "json" && !Number.isFinite(value)) return String(value);
    return value;
  });

/** What an answer must hold for a function's output row: canonical timestamps, float32 values rounded, NaN as null or text in JSON. */
export const answerRow = (fields: FieldSchema[], row: Record<string, unknown> | null, format: Format, nonFiniteText = false) =>
  row &&
  walkRow(fields, row, (type, value) => {
    if (type === "timestamp") return canonical(value as Date);
    if (type === "bytes") return format === "json" ? base64(value as Uint8Array) : value;
    if (type === "float32" || (typeof type === "object" && "nonFinite" in type && type.nonFinite === "float32")) value = Math.fround(value as number);
    if (typeof type === "object" && format === "json" && !Number.isFinite(value)) return nonFiniteText ? String(value) : null;
    return value;
  });

/** For comparing: bytes as base64 whatever class decoded them, -0 as 0 (JSON cannot tell them apart). */
export function comparable(value: unknown): unknown {
  if (value instanceof Uint8Array) return { bytes: base64(value) };
  if (Object.is(value, -0)) return 0;
  if (Array.isArray(value)) return value.map(comparable);
  if (value && typeof value === "object") return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, comparable(v)]));
  return value;
}

/** 0001-01-01T00:00:00Z and 9999-12-31T23:59:59.999Z: the years a timestamp may lie in. */
const FIRST = new Date(-62135596800000);
const LAST = new Date(253402300799999);
const date = fc.date({ min: FIRST, max: LAST, noInvalidDate: true });
const key = fc.string({ maxLength: 6 });

/** Values a function may receive, of any type: edges included (NaN, ±Infinity, years 0001 and 9999, the int32 bounds). */
export function arbitraryOf(type: FieldType): fc.Arbitrary<unknown> {
  if (typeof type === "object") {
    if ("optional" in type) return fc.option(arbitraryOf(type.optional), { nil: null });
    if ("array" in type) return fc.array(arbitraryOf(type.array), { maxLength: 3 });
    if ("map" in type) return fc.dictionary(key, arbitraryOf(type.map), { maxKeys: 3 });
    if ("struct" in type) return fc.record(Object.fromEntries(type.struct.map((f) => [f.name, arbitraryOf(f.type)])));
    const finite = type.nonFinite === "float32" ? fc.float({ noNaN: true, noDefaultInfinity: true }) : fc.double({ noNaN: true, noDefaultInfinity: true });
    return fc.oneof(finite, fc.constantFrom(NaN, Infinity, -Infinity));
  }
  switch (type) {
    case "int32":
      return fc.oneof(fc.integer(), fc.constantFrom(2 ** 31 - 1, -(2 ** 31)));
    case "float32":
      return fc.float({ noNaN: true, noDefaultInfinity: true });
    case "timestamp":
      return fc.oneof(date, fc.constantFrom(FIRST, LAST));
    case "bytes":
      return fc.uint8Array({ maxLength: 8 });
    case "int64":
      return fc.maxSafeInteger();
    case "float64":
      return fc.double({ noNaN: true, noDefaultInfinity: true });
    case "string":
      return fc.string();
    case "bool":
      return fc.boolean();
  }
}

export const arbitraryRow = (fields: FieldSchema[]) =>
  fc.record(Object.fromEntries(fields.map((f) => [f.name, arbitraryOf(f.type)]))) as fc.Arbitrary<Record<string, unknown>>;
