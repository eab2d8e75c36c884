/**
 * Field types shared by the guest SDK and the host: the wire form of a schema
 * (plain JSON, also what the Python guest describes) and its validation.
 */
export type FieldType =
  | "string"
  | "int64"
  | "float64"
  | "bool"
  | "bytes"
  | { array: FieldType }
  | { optional: FieldType };

export interface FieldSchema {
  name: string;
  type: FieldType;
}

export interface FunctionSchema {
  name: string;
  mode: "row" | "batch";
  inputs: FieldSchema[];
  outputs: FieldSchema[];
}

/** JSON numbers are IEEE doubles: int64 values must stay exactly representable. */
export const MAX_INT64 = Number.MAX_SAFE_INTEGER;

export function typeName(type: FieldType): string {
  if (typeof type === "string") return type;
  if ("array" in type) return `array<${typeName(type.array)}>`;
  return `optional<${typeName(type.optional)}>`;
}

function describeValue(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  if (value instanceof Uint8Array) return "bytes";
  if (typeof value === "number" && !Number.isFinite(value)) return String(value);
  if (typeof value === "number" && !Number.isInteger(value)) return `float ${value}`;
  return typeof value;
}

/**
 * The float64 rule, on every engine and both wire formats, inputs and outputs
 * alike: a finite number. NaN and ±Infinity are refused, not passed on: JSON
 * (the batch's form at the guest boundary) cannot carry them, and
 * JSON.stringify would turn them into null in a field that may not be null.
 */
export const isFloat64 = (value: unknown): value is number => Number.isFinite(value);

/** Module-level (not a closure per check): rows are checked by the thousand. */
const expected = (type: FieldType, value: unknown): string => `expected ${typeName(type)}, got ${describeValue(value)}`;

/**
 * Checks `value` against `type`; returns null when it fits, or what is wrong.
 * `bytes` is checked in the form it has at that point (`bytesAs`): a Uint8Array
 * in guest code, a base64 string on the JSON wire.
 */
export function checkValue(type: FieldType, value: unknown, bytesAs: "binary" | "base64"): string | null {
  // undefined (CBOR's simple value 23, or a field left out) is absence: null for an optional field, refused otherwise.
  if (typeof type === "object" && "optional" in type) {
    return value === null || value === undefined ? null : checkValue(type.optional, value, bytesAs);
  }
  if (typeof type === "object") {
    if (!Array.isArray(value)) return expected(type, value);
    for (let i = 0; i < value.length; i++) {
      const problem = checkValue(type.array, value[i], bytesAs);
      if (problem) return `[${i}]: ${problem}`;
    }
    return null;
  }
  switch (type) {
    case "string":
      return typeof value === "string" ? null : expected(type, value);
    case "int64":
      return Number.isSafeInteger(value) ? null : expected(type, value) + (typeof value === "number" && Number.isInteger(value) ? " (outside ±2^53-1)" : "");
    case "float64":
      if (isFloat64(value)) return null;
      return typeof value === "number" ? `expected a finite float64, got ${value}` : expected(type, value);
    case "bool":
      return typeof value === "boolean" ? null : expected(type, value);
    case "bytes":
      if (bytesAs === "binary") return value instanceof Uint8Array ? null : expected(type, value);
      return typeof value === "string" && /^[A-Za-z0-9+/]*={0,2}$/.test(value) ? null : "expected bytes as a base64 string";
  }
}

/** Checks one row against a list of fields; returns `field 'x': problem` or null. */
export function checkRow(fields: FieldSchema[], row: unknown, bytesAs: "binary" | "base64"): string | null {
  if (row === null || typeof row !== "object" || Array.isArray(row)) return `expected an object, got ${describeValue(row)}`;
  const record = row as Record<string, unknown>;
  for (const field of fields) {
    const problem = checkValue(field.type, Object.hasOwn(record, field.name) ? record[field.name] : undefined, bytesAs);
    if (problem) return `field '${field.name}': ${problem}`;
  }
  return null;
}

/** True when `type` contains bytes anywhere: only then do values need converting. */
export function hasBytes(type: FieldType): boolean {
  if (typeof type === "string") return type === "bytes";
  return hasBytes("array" in type ? type.array : type.optional);
}

/** Maps every bytes value inside `value` (shaped by `type`) through `convert`. */
export function mapBytes(type: FieldType, value: unknown, convert: (b: unknown) => unknown): unknown {
  if (value === null || value === undefined) return null;
  if (typeof type === "string") return type === "bytes" ? convert(value) : value;
  if ("optional" in type) return mapBytes(type.optional, value, convert);
  return (value as unknown[]).map((item) => mapBytes(type.array, item, convert));
}
