/**
 * Values into the one form the checks and the guest batch use (docs/types.md), by their declared type, before
 * they are checked: what a caller sends on the way in, what a guest returns on the way out. Timestamps become
 * canonical text (UTC, microseconds), float32 values are rounded, structs keep their declared fields (at every
 * level), NaN and ±Infinity take the form of their side. Nothing is trusted yet: a value that does not have its
 * type's shape is left as it is, for the check after to name, and a required field left out stays out (`missing`).
 */
import { hasBytes, isRecord, MAX_FLOAT32, setOwn, NON_FINITE_TEXT, type FieldSchema, type FieldType, type FloatType, type ScalarType } from "../runtime/schema.ts";
import { formatTimestamp, instantOfDate, isCanonicalTimestamp, parseTimestamp } from "../runtime/timestamp.ts";
import { TaggedDate } from "../runtime/cbor-dates.ts";
import { fromBase64, toBase64 } from "../runtime/codec.ts";

type Leaf = ScalarType | { nonFinite: FloatType };
type Record = { [key: string]: unknown };

/** What happens to a value on its way: to each leaf by its type, and to a map's keys. */
export interface Conversion {
  leaf(type: Leaf, value: unknown): unknown;
  key?(key: string): string;
  /** Whether values of a type ever change: only then is a field's value rebuilt. */
  changes(type: FieldType): boolean;
}

const isOptional = (type: FieldType): boolean => typeof type === "object" && "optional" in type;

/** Structs are always rebuilt (to their declared fields), maps when their keys change; leaves when `leaf` says so. */
const rebuilds = (leaf: (type: Leaf) => boolean, maps: boolean) =>
  function changes(type: FieldType): boolean {
    if (typeof type === "string" || "nonFinite" in type) return leaf(type);
    if ("struct" in type || (maps && "map" in type)) return true;
    return changes("array" in type ? type.array : "optional" in type ? type.optional : type.map);
  };
const changingLeaf = (type: Leaf) => typeof type === "object" || type === "timestamp" || type === "float32" || type === "bytes";

/** A timestamp's canonical text: from RFC 3339 text with a zone, a Date, or a CBOR date (to the microsecond); anything else as it is. */
export function timestampText(value: unknown): unknown {
  if (typeof value === "string" && isCanonicalTimestamp(value)) return value;
  const instant = typeof value === "string" ? parseTimestamp(value) : value instanceof TaggedDate ? value.instant : value instanceof Date ? instantOfDate(value) : null;
  return instant ? formatTimestamp(instant) : value;
}

/** Rounded to float32 when within its range; beyond it, left for the check to refuse (not made Infinity). */
const float32 = (value: unknown): unknown => (typeof value === "number" && Math.abs(value) <= MAX_FLOAT32 ? Math.fround(value) : value);

function scalar(type: ScalarType, value: unknown): unknown {
  if (type === "timestamp") return timestampText(value);
  if (type === "float32") return float32(value);
  if (type === "bytes" && value instanceof Uint8Array) return toBase64(value);
  return value;
}

const finite = (type: FloatType, value: number): unknown => (type === "float32" ? float32(value) : value);

type WellFormedString = string & { toWellFormed(): string };

/** From callers to the guest batch (JSON, which cannot carry NaN and ±Infinity: their text). */
export const TOWARD_GUEST: Conversion = {
  changes: rebuilds(changingLeaf, false),
  leaf: (type, value) => {
    if (typeof type === "string") return scalar(type, value);
    return typeof value === "number" ? (Number.isFinite(value) ? finite(type.nonFinite, value) : String(value)) : value;
  },
};

/** From the guest's envelope to the answer: numbers for NaN and ±Infinity (codec.ts writes them), well-formed keys. */
export const TOWARD_ANSWER: Conversion = {
  changes: rebuilds(changingLeaf, true),
  leaf: (type, value) => {
    if (typeof type === "string") return scalar(type, value);
    if (typeof value === "number") return Number.isFinite(value) ? finite(type.nonFinite, value) : value;
    return typeof value === "string" && Object.hasOwn(NON_FINITE_TEXT, value) ? NON_FINITE_TEXT[value] : value;
  },
  // A guest's keys go into answers, which carry well-formed text only (codec.ts makes the values so).
  key: (key) => (key as WellFormedString).toWellFormed(),
};

/** Checked answer rows for a binary format (CBOR): bytes as byte strings. */
export const BYTES_AS_BINARY: Conversion = {
  changes: hasBytes,
  leaf: (type, value) => (type === "bytes" && typeof value === "string" ? fromBase64(value) : value),
};

export function wireValue(type: FieldType, value: unknown, conversion: Conversion): unknown {
  if (value === undefined || value === null) return value === undefined && isOptional(type) ? null : value;
  if (typeof type === "string" || "nonFinite" in type) return conversion.leaf(type, value);
  if ("optional" in type) return wireValue(type.optional, value, conversion);
  if ("array" in type) return Array.isArray(value) ? value.map((item) => wireValue(type.array, item, conversion)) : value;
  if (!isRecord(value)) return value;
  if ("struct" in type) return wireRecord(type.struct, value, conversion);
  const out: Record = {};
  for (const key of Object.keys(value)) setOwn(out, conversion.key ? conversion.key(key) : key, wireValue(type.map, value[key], conversion));
  return out;
}

/** A record with the declared fields only (an absent optional one as null, an absent required one left out). */
export function wireRecord(fields: FieldSchema[], record: Record, conversion: Conversion): Record {
  const out: Record = {};
  for (const { name, type } of fields) {
    const value = wireValue(type, Object.hasOwn(record, name) ? record[name] : undefined, conversion);
    if (value !== undefined) setOwn(out, name, value);
  }
  return out;
}
