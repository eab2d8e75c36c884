/**
 * A function's fields as Parquet columns, and values between the two: int64
 * as INT64 (BigInt in the writer and reader), float64 as DOUBLE, string as
 * UTF8, bytes as plain BYTE_ARRAY, arrays as standard 3-level LISTs. Every
 * column is nullable: a failed row is written as a row of nulls.
 */
import type { SchemaElement } from "hyparquet";
import type { FieldSchema, FieldType } from "../../guest-sdk/js/schema.ts";
import { fromBase64, toBase64 } from "../../runtime/codec.ts";

function elements(name: string, type: FieldType): SchemaElement[] {
  if (typeof type === "object" && "optional" in type) return elements(name, type.optional);
  if (typeof type === "object") {
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
    case "float64":
      return [{ name, type: "DOUBLE", repetition_type: "OPTIONAL" }];
    case "bool":
      return [{ name, type: "BOOLEAN", repetition_type: "OPTIONAL" }];
  }
}

export function parquetSchemaOf(fields: FieldSchema[]): SchemaElement[] {
  return [{ name: "schema", num_children: fields.length }, ...fields.flatMap((f) => elements(f.name, f.type))];
}

/** A value as the host answers it (JSON, bytes as base64) -> as the Parquet writer takes it. */
export function toParquet(type: FieldType, value: unknown): unknown {
  if (value === null || value === undefined) return null;
  if (typeof type === "object" && "optional" in type) return toParquet(type.optional, value);
  if (typeof type === "object") return (value as unknown[]).map((item) => toParquet(type.array, item));
  if (type === "int64") return BigInt(value as number);
  if (type === "bytes") return fromBase64(value as string);
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
  if (typeof type === "object") return Array.isArray(value) ? value.map((item) => fromParquet(type.array, item)) : value;
  if (typeof value === "bigint") return Number(value);
  if (value instanceof Date && (type === "int64" || type === "float64")) return value.getTime();
  if (type === "bytes") {
    if (value instanceof Uint8Array) return toBase64(value);
    if (typeof value === "string") return toBase64(utf8Encoder.encode(value));
  }
  if (type === "string" && value instanceof Uint8Array) return utf8.decode(value);
  return value;
}
