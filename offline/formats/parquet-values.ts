/**
 * A function's fields as Parquet columns, and values between the two: int64
 * as INT64 (BigInt in the writer and reader), int32 as INT32, float64 as
 * DOUBLE, float32 as FLOAT, string as UTF8, bytes as plain BYTE_ARRAY,
 * timestamps as INT64 microseconds (TIMESTAMP_MICROS), arrays as standard
 * 3-level LISTs, maps and structs as JSON text (UTF8). Every column is
 * nullable: a failed row is written as a row of nulls.
 */
import type { SchemaElement } from "hyparquet";
import type { FieldSchema, FieldType } from "../../runtime/schema.ts";
import { fromBase64, toBase64 } from "../../runtime/codec.ts";
import { formatTimestamp, parseTimestamp } from "../../runtime/timestamp.ts";

/** Maps and structs travel as JSON text in a Parquet file. */
const asJson = (type: FieldType): boolean => typeof type === "object" && ("map" in type || "struct" in type);
const scalarOf = (type: FieldType): FieldType => (typeof type === "object" && "nonFinite" in type ? type.nonFinite : type);

function elements(name: string, type: FieldType): SchemaElement[] {
  if (typeof type === "object" && "optional" in type) return elements(name, type.optional);
  if (asJson(type)) return [{ name, type: "BYTE_ARRAY", converted_type: "UTF8", repetition_type: "OPTIONAL" }];
  type = scalarOf(type);
  if (typeof type === "object" && "array" in type) {
    return [
      { name, repetition_type: "OPTIONAL", converted_type: "LIST", num_children: 1 },
      { name: "list", repetition_type: "REPEATED", num_children: 1 },
      ...elements("element", type.array),
    ];
  }
  switch (type) {
    case "string":
      return [{ name, type: "BYTE_ARRAY", converted_type: "UTF8", repetition_type: "OPTIONAL" }];
    case "bytes":
      return [{ name, type: "BYTE_ARRAY", repetition_type: "OPTIONAL" }];
    case "int64":
      return [{ name, type: "INT64", repetition_type: "OPTIONAL" }];
    case "int32":
      return [{ name, type: "INT32", repetition_type: "OPTIONAL" }];
    case "float64":
      return [{ name, type: "DOUBLE", repetition_type: "OPTIONAL" }];
    case "float32":
      return [{ name, type: "FLOAT", repetition_type: "OPTIONAL" }];
    case "bool":
      return [{ name, type: "BOOLEAN", repetition_type: "OPTIONAL" }];
    case "timestamp":
      return [{ name, type: "INT64", converted_type: "TIMESTAMP_MICROS", repetition_type: "OPTIONAL" }];
    default:
      throw new Error(`no Parquet column for ${JSON.stringify(type)}`);
  }
}

export function parquetSchemaOf(fields: FieldSchema[]): SchemaElement[] {
  return [{ name: "schema", num_children: fields.length }, ...fields.flatMap((f) => elements(f.name, f.type))];
}

/** A value as the host answers it (JSON, bytes as base64) -> as the Parquet writer takes it. */
export function toParquet(type: FieldType, value: unknown): unknown {
  if (value === null || value === undefined) return null;
  if (typeof type === "object" && "optional" in type) return toParquet(type.optional, value);
  if (asJson(type)) return JSON.stringify(value);
  type = scalarOf(type);
  if (typeof type === "object" && "array" in type) return (value as unknown[]).map((item) => toParquet((type as { array: FieldType }).array, item));
  if (type === "int64") return BigInt(value as number);
  if (type === "bytes") return fromBase64(value as string);
  if (type === "timestamp") {
    const { ms, micros } = parseTimestamp(value as string)!;
    return BigInt(ms) * 1000n + BigInt(micros);
  }
  return value;
}

const utf8 = new TextDecoder();
const utf8Encoder = new TextEncoder();

/**
 * A value as a Parquet reader gives it -> as the host takes it: BigInt to a
 * number (an unsafe one fails the int64 check, which says so), bytes to
 * base64, a timestamp to its milliseconds. Anything else is passed as it is,
 * for the schema check to name.
 */
export function fromParquet(type: FieldType, value: unknown): unknown {
  if (value === null || value === undefined) return null;
  if (typeof type === "object" && "optional" in type) return fromParquet(type.optional, value);
  if (asJson(type)) return typeof value === "string" ? parseJson(value) : value;
  type = scalarOf(type);
  if (typeof type === "object" && "array" in type) return Array.isArray(value) ? value.map((item) => fromParquet((type as { array: FieldType }).array, item)) : value;
  if (type === "timestamp") return timestampOf(value);
  if (typeof value === "bigint") return Number(value);
  if (value instanceof Date && (type === "int64" || type === "float64")) return value.getTime();
  if (type === "bytes") {
    if (value instanceof Uint8Array) return toBase64(value);
    if (typeof value === "string") return toBase64(utf8Encoder.encode(value));
  }
  if (type === "string" && value instanceof Uint8Array) return utf8.decode(value);
  return value;
}

/** JSON text as its value, or the text itself (for the schema check to name) when it is not JSON. */
function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** A Parquet timestamp (microseconds as BigInt, or a Date) as RFC 3339 text; anything else as it is. */
function timestampOf(value: unknown): unknown {
  if (typeof value === "bigint") {
    const ms = value / 1000n - (value % 1000n < 0n ? 1n : 0n);
    return formatTimestamp({ ms: Number(ms), micros: Number(value - ms * 1000n) });
  }
  if (value instanceof Date) return formatTimestamp({ ms: value.getTime(), micros: 0 });
  return value;
}
