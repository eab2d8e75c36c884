/**
 * Values crossing a JS guest's boundary. Inputs arrive in wire form (bytes base64, timestamps canonical RFC 3339
 * text, non-finite floats as text) and reach the function in guest form (Uint8Array, Date, number); outputs are
 * checked in guest form and leave in wire form, float32 values rounded. Every field's conversion and check is
 * compiled once per function: a field whose values keep their form costs a row nothing, a scalar one a plain test.
 */
import { decodeBase64, encodeBase64 } from "./base64.ts";
import {
  checkValue,
  holds,
  isFloat64,
  mapLeaves,
  MAX_FLOAT32,
  MAX_INT32,
  MIN_INT32,
  NON_FINITE_TEXT,
  type FieldSchema,
  type FieldType,
  type FloatType,
  type ScalarType,
} from "../../runtime/schema.ts";
import { formatTimestamp, instantOfDate, parseTimestamp } from "../../runtime/timestamp.ts";

type Leaf = ScalarType | { nonFinite: FloatType };
type Convert = (value: unknown) => unknown;
export type Check = (value: unknown) => boolean;

/** One field's values passed through a conversion. */
export interface Conversion {
  name: string;
  convert: Convert;
}

const changesOnInput = (leaf: Leaf) => leaf === "bytes" || leaf === "timestamp" || typeof leaf === "object";

function leafToGuest(leaf: Leaf, value: unknown): unknown {
  if (leaf === "bytes") return decodeBase64(value);
  // The text is canonical (the host checked it): its microseconds are below what a Date holds.
  if (leaf === "timestamp") return new Date(parseTimestamp(value as string)!.ms);
  return typeof leaf === "object" && typeof value === "string" ? NON_FINITE_TEXT[value] : value;
}

const changesOnOutput = (leaf: Leaf) => leaf === "bytes" || leaf === "timestamp" || leaf === "float32" || typeof leaf === "object";

function leafToWire(leaf: Leaf, value: unknown): unknown {
  if (leaf === "bytes") return encodeBase64(value);
  if (leaf === "timestamp") return formatTimestamp(value instanceof Date ? instantOfDate(value)! : parseTimestamp(value as string)!);
  if (leaf === "float32") return Math.fround(value as number);
  if (typeof leaf !== "object") return value;
  const n = value as number;
  if (!Number.isFinite(n)) return String(n); // "NaN", "Infinity", "-Infinity": what JSON can carry
  return leaf.nonFinite === "float32" ? Math.fround(n) : n;
}

/** A field's conversion, or null when its values keep their form; a scalar field skips the walk over the value. */
function compileConversion(type: FieldType, changes: (leaf: Leaf) => boolean, convertLeaf: (leaf: Leaf, value: unknown) => unknown): Convert | null {
  if (!holds(type, changes)) return null;
  const leaf = typeof type === "object" && "optional" in type ? type.optional : type;
  if (typeof leaf === "string" || "nonFinite" in leaf) return (v) => (v === null || v === undefined ? null : convertLeaf(leaf, v));
  return (v) => mapLeaves(type, v, convertLeaf);
}

function conversions(fields: FieldSchema[], changes: (leaf: Leaf) => boolean, convertLeaf: (leaf: Leaf, value: unknown) => unknown): Conversion[] {
  const list: Conversion[] = [];
  for (const { name, type } of fields) {
    const convert = compileConversion(type, changes, convertLeaf);
    if (convert) list.push({ name, convert });
  }
  return list;
}

/** What turns input rows from wire form into the values a function receives. */
export const inputConversions = (fields: FieldSchema[]): Conversion[] => conversions(fields, changesOnInput, leafToGuest);

/** What turns checked output values into wire form. */
export const outputConversions = (fields: FieldSchema[]): Conversion[] => conversions(fields, changesOnOutput, leafToWire);

/**
 * A yes/no test of a value against a type in guest form, saying yes exactly where checkValue does: the common
 * scalars inline, the rest through the schema checker (which, for failing rows, also says what is wrong).
 */
export function compileCheck(type: FieldType): Check {
  switch (type) {
    case "string":
      return (v) => typeof v === "string";
    case "int64":
      return (v) => Number.isSafeInteger(v);
    case "int32":
      return (v) => Number.isInteger(v) && (v as number) >= MIN_INT32 && (v as number) <= MAX_INT32;
    case "float64":
      return isFloat64;
    case "float32":
      return (v) => isFloat64(v) && Math.abs(v) <= MAX_FLOAT32;
    case "bool":
      return (v) => typeof v === "boolean";
    case "bytes":
      return (v) => v instanceof Uint8Array;
  }
  if (typeof type === "object" && "optional" in type && typeof type.optional === "string") {
    const inner = compileCheck(type.optional);
    return (v) => v === null || v === undefined || inner(v);
  }
  if (typeof type === "object" && "nonFinite" in type && type.nonFinite === "float64") return (v) => typeof v === "number";
  return (v) => checkValue(type, v, "guest") === null;
}
