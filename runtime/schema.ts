/**
 * Field types shared by the guest SDK and the host: the wire form of a schema
 * (plain JSON, also what the Python guest describes) and its validation
 * (docs/types.md has every type with its wire form and its values).
 */
import { instantOfDate, isCanonicalTimestamp, parseTimestamp } from "./timestamp.ts";

export type ScalarType = "string" | "int64" | "int32" | "float64" | "float32" | "bool" | "bytes" | "timestamp";
export type FloatType = "float64" | "float32";

export type FieldType =
  | ScalarType
  | { array: FieldType }
  | { optional: FieldType }
  | { map: FieldType }
  | { struct: FieldSchema[] }
  /** A float that may also be NaN or ±Infinity. */
  | { nonFinite: FloatType };

export interface FieldSchema {
  name: string;
  type: FieldType;
}

export type Mode = "row" | "batch" | "columns" | "pandas";

export interface FunctionSchema {
  name: string;
  mode: Mode;
  inputs: FieldSchema[];
  outputs: FieldSchema[];
}

/** JSON numbers are IEEE doubles: int64 values must stay exactly representable. */
export const MAX_INT64 = Number.MAX_SAFE_INTEGER;
export const MIN_INT32 = -(2 ** 31);
export const MAX_INT32 = 2 ** 31 - 1;
/** The largest finite float32: a float64 beyond it is refused for a float32 field rather than made Infinity. */
export const MAX_FLOAT32 = 3.4028234663852886e38;
/** How NaN and ±Infinity are written where JSON has to carry them (a nonFinite field's value on the wire). */
export const NON_FINITE_TEXT: Record<string, number> = { NaN: NaN, Infinity: Infinity, "-Infinity": -Infinity };

/** A type's one-line name, as messages and OpenAPI descriptions use it. */
export function typeName(type: FieldType): string {
  if (typeof type === "string") return type;
  if ("array" in type) return `array<${typeName(type.array)}>`;
  if ("optional" in type) return `optional<${typeName(type.optional)}>`;
  if ("map" in type) return `map<${typeName(type.map)}>`;
  if ("nonFinite" in type) return `${type.nonFinite} (NaN and ±Infinity allowed)`;
  return `struct{${type.struct.map((f) => `${f.name}: ${typeName(f.type)}`).join(", ")}}`;
}

/** A record of fields: not null, an array, bytes or a date. */
export const isRecord = (value: unknown): value is Record<string, unknown> =>
  value !== null && typeof value === "object" && !Array.isArray(value) && !(value instanceof Uint8Array) && !(value instanceof Date);

function describeValue(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  if (value instanceof Uint8Array) return "bytes";
  if (value instanceof Date) return "a date";
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
 * Where a value is, which decides the form of the types whose values change form: `guest`, in a JS function
 * (bytes a Uint8Array, a timestamp a Date, a non-finite float a number); `wire`, in JSON between host, executor
 * and guest (bytes base64, a timestamp canonical RFC 3339 text, a non-finite float as text).
 */
export type ValueForm = "guest" | "wire";

/** What is wrong with a value, and where inside it (`a.b`, `[2]`, `["key"]`; empty at the value itself). */
interface Problem {
  path: string;
  message: string;
}

/**
 * Checks `value` against `type`; returns null when it fits, or what is wrong. `undefined` (CBOR's simple value 23,
 * or a field left out) is absence: null for an optional field, `missing` otherwise.
 */
export function checkValue(type: FieldType, value: unknown, form: ValueForm): string | null {
  const problem = problemIn(type, value, form, "");
  return problem && (problem.path ? `${problem.path}: ${problem.message}` : problem.message);
}

/** Checks one row against a list of fields; returns `field 'x': problem` (`field 'a.b'` inside structs) or null. */
export function checkRow(fields: FieldSchema[], row: unknown, form: ValueForm): string | null {
  return rowFits(fields, form)(row) ? null : rowProblem(fields, row, form);
}

/** What is wrong with a row, walking its fields: only for rows that do not fit (and for the test that the two agree). */
export function rowProblem(fields: FieldSchema[], row: unknown, form: ValueForm): string | null {
  if (!isRecord(row)) return `expected an object, got ${describeValue(row)}`;
  for (const field of fields) {
    const problem = problemIn(field.type, Object.hasOwn(row, field.name) ? row[field.name] : undefined, form, field.name);
    if (problem) return `field '${problem.path}': ${problem.message}`;
  }
  return null;
}

function problemIn(type: FieldType, value: unknown, form: ValueForm, path: string): Problem | null {
  const wrong = (message: string | null) => (message === null ? null : { path, message });
  if (value === undefined) return typeof type === "object" && "optional" in type ? null : wrong("missing");
  if (typeof type === "string") return wrong(checkScalar(type, value, form));
  if ("optional" in type) return value === null ? null : problemIn(type.optional, value, form, path);
  if ("nonFinite" in type) return wrong(checkNonFinite(type.nonFinite, value, form));
  if ("array" in type) {
    if (!Array.isArray(value)) return wrong(expected(type, value));
    for (let i = 0; i < value.length; i++) {
      const problem = problemIn(type.array, value[i], form, `${path}[${i}]`);
      if (problem) return problem;
    }
    return null;
  }
  if (!isRecord(value)) return wrong(expected(type, value));
  if ("map" in type) {
    for (const key of Object.keys(value)) {
      const problem = problemIn(type.map, value[key], form, `${path}[${JSON.stringify(key)}]`);
      if (problem) return problem;
    }
    return null;
  }
  for (const field of type.struct) {
    const problem = problemIn(field.type, Object.hasOwn(value, field.name) ? value[field.name] : undefined, form, `${path}.${field.name}`);
    if (problem) return problem;
  }
  return null;
}

function checkScalar(type: ScalarType, value: unknown, form: ValueForm): string | null {
  switch (type) {
    case "string":
      return typeof value === "string" ? null : expected(type, value);
    case "int64":
      return Number.isSafeInteger(value) ? null : expected(type, value) + (typeof value === "number" && Number.isInteger(value) ? " (outside ±2^53-1)" : "");
    case "int32":
      return Number.isInteger(value) && (value as number) >= MIN_INT32 && (value as number) <= MAX_INT32
        ? null
        : expected(type, value) + (typeof value === "number" && Number.isInteger(value) ? " (outside -2^31..2^31-1)" : "");
    case "float64":
    case "float32":
      if (isFloat64(value)) return type === "float32" && Math.abs(value) > MAX_FLOAT32 ? `expected float32, got ${value} (beyond float32's range)` : null;
      return typeof value === "number" ? `expected a finite ${type}, got ${value}` : expected(type, value);
    case "bool":
      return typeof value === "boolean" ? null : expected(type, value);
    case "bytes":
      if (form === "guest") return value instanceof Uint8Array ? null : expected(type, value);
      return typeof value === "string" && /^[A-Za-z0-9+/]*={0,2}$/.test(value) ? null : "expected bytes as a base64 string";
    case "timestamp":
      // A JS function may also return RFC 3339 text: the only form that keeps the microseconds a Date cannot hold.
      if (form === "guest" && typeof value === "string") return parseTimestamp(value) ? null : "expected a timestamp (a Date, or RFC 3339 text with a time zone, years 0001-9999)";
      if (form === "guest") return value instanceof Date && instantOfDate(value) ? null : expected(type, value) + (value instanceof Date ? " (invalid, or outside years 0001-9999)" : "");
      return typeof value === "string" && isCanonicalTimestamp(value) ? null : "expected a timestamp (RFC 3339 text with a time zone, years 0001-9999)";
  }
}

function checkNonFinite(type: FloatType, value: unknown, form: ValueForm): string | null {
  if (typeof value === "number") return Number.isFinite(value) ? checkScalar(type, value, form) : null;
  return form === "wire" && typeof value === "string" && Object.hasOwn(NON_FINITE_TEXT, value) ? null : `expected ${type}, got ${describeValue(value)}`;
}

/**
 * Whether a value fits, as a function made once per schema and form: rows are checked by the thousand, and walking
 * the type for every value cost several times the check itself. It answers exactly as `problemIn` finds nothing;
 * only a value that does not fit is walked again, for the message.
 */
type Fits = (value: unknown) => boolean;

const compiledRows = { guest: new WeakMap<FieldSchema[], Fits>(), wire: new WeakMap<FieldSchema[], Fits>() };

function rowFits(fields: FieldSchema[], form: ValueForm): Fits {
  let fits = compiledRows[form].get(fields);
  if (!fits) {
    fits = recordFits(fields, form);
    compiledRows[form].set(fields, fits);
  }
  return fits;
}

function recordFits(fields: FieldSchema[], form: ValueForm): Fits {
  const names = fields.map((f) => f.name);
  const checks = fields.map((f) => fitsOf(f.type, form));
  return (value) => {
    if (!isRecord(value)) return false;
    for (let i = 0; i < names.length; i++) {
      const name = names[i]!;
      if (!checks[i]!(Object.hasOwn(value, name) ? value[name] : undefined)) return false;
    }
    return true;
  };
}

function fitsOf(type: FieldType, form: ValueForm): Fits {
  if (typeof type === "string") return (value) => value !== undefined && checkScalar(type, value, form) === null;
  if ("optional" in type) {
    const inner = fitsOf(type.optional, form);
    return (value) => value === undefined || value === null || inner(value);
  }
  if ("nonFinite" in type) return (value) => value !== undefined && checkNonFinite(type.nonFinite, value, form) === null;
  if ("array" in type) {
    const item = fitsOf(type.array, form);
    return (value) => {
      if (!Array.isArray(value)) return false;
      for (let i = 0; i < value.length; i++) if (!item(value[i])) return false;
      return true;
    };
  }
  if ("map" in type) {
    const item = fitsOf(type.map, form);
    return (value) => {
      if (!isRecord(value)) return false;
      for (const key of Object.keys(value)) if (!item(value[key])) return false;
      return true;
    };
  }
  return recordFits(type.struct, form);
}

/** Whether `type` holds, anywhere, a value of a type for which `leaf` says yes: only then do values need converting. */
export function holds(type: FieldType, leaf: (type: ScalarType | { nonFinite: FloatType }) => boolean): boolean {
  if (typeof type === "string" || "nonFinite" in type) return leaf(type);
  if ("array" in type) return holds(type.array, leaf);
  if ("optional" in type) return holds(type.optional, leaf);
  if ("map" in type) return holds(type.map, leaf);
  return type.struct.some((f) => holds(f.type, leaf));
}

/** True when `type` contains bytes anywhere. */
export const hasBytes = (type: FieldType): boolean => holds(type, (leaf) => leaf === "bytes");

/** Sets an own key, `__proto__` included: a map's keys are the caller's, and assigning that one would set the prototype. */
export function setOwn(out: Record<string, unknown>, key: string, value: unknown): void {
  if (key === "__proto__") Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true });
  else out[key] = value;
}

/**
 * `value` (shaped by `type`, already checked) with every leaf value passed through `convert`, and every struct
 * reduced to its declared fields (absent optional ones as null). New arrays and objects; leaves as `convert` says.
 */
export function mapLeaves(type: FieldType, value: unknown, convert: (type: ScalarType | { nonFinite: FloatType }, value: unknown) => unknown): unknown {
  if (value === null || value === undefined) return null;
  if (typeof type === "string" || "nonFinite" in type) return convert(type, value);
  if ("optional" in type) return mapLeaves(type.optional, value, convert);
  if ("array" in type) return (value as unknown[]).map((item) => mapLeaves(type.array, item, convert));
  const record = value as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  if ("map" in type) for (const key of Object.keys(record)) setOwn(out, key, mapLeaves(type.map, record[key], convert));
  else for (const f of type.struct) out[f.name] = mapLeaves(f.type, Object.hasOwn(record, f.name) ? record[f.name] : null, convert);
  return out;
}

/** Maps every bytes value inside `value` (shaped by `type`) through `convert`. */
export const mapBytes = (type: FieldType, value: unknown, convert: (b: unknown) => unknown): unknown =>
  mapLeaves(type, value, (leaf, v) => (leaf === "bytes" ? convert(v) : v));
