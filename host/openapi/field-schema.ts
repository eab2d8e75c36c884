/**
 * A function's row schema (the manifest's FunctionSchema) as JSON Schema:
 * what a caller's typed client is generated from. Inputs may leave out
 * optional fields and carry other keys (ignored); outputs carry every
 * declared field (null where an optional one is absent) and nothing else.
 */
import { MAX_FLOAT32, MAX_INT32, MAX_INT64, MIN_INT32, NON_FINITE_TEXT, type FieldSchema, type FieldType, type FloatType } from "../../runtime/schema.ts";
import type { JsonSchema } from "./json-schema.ts";

/** JSON carries bytes as base64 text; CBOR as byte strings. */
export type BytesForm = "base64" | "binary";

const floatSchema = (type: FloatType): JsonSchema =>
  type === "float64" ? { type: "number", format: "double" } : { type: "number", format: "float", minimum: -MAX_FLOAT32, maximum: MAX_FLOAT32 };

export function fieldTypeSchema(type: FieldType, bytes: BytesForm): JsonSchema {
  if (typeof type === "object") {
    if ("array" in type) return { type: "array", items: fieldTypeSchema(type.array, bytes) };
    if ("optional" in type) return { anyOf: [fieldTypeSchema(type.optional, bytes), { type: "null" }] };
    if ("map" in type) return { type: "object", additionalProperties: fieldTypeSchema(type.map, bytes) };
    if ("struct" in type) return rowSchema(type.struct, bytes, "input");
    // JSON writes NaN and ±Infinity as text (or null, when the caller asks for it); CBOR as floats.
    return { anyOf: [floatSchema(type.nonFinite), { type: "string", enum: Object.keys(NON_FINITE_TEXT) }, { type: "null" }] };
  }
  switch (type) {
    case "string":
      return { type: "string" };
    case "int64":
      // What a JSON number holds exactly: the host refuses anything outside.
      return { type: "integer", format: "int64", minimum: -MAX_INT64, maximum: MAX_INT64 };
    case "int32":
      return { type: "integer", format: "int32", minimum: MIN_INT32, maximum: MAX_INT32 };
    case "float64":
    case "float32":
      return floatSchema(type);
    case "bool":
      return { type: "boolean" };
    case "bytes":
      return bytes === "base64" ? { type: "string", contentEncoding: "base64", pattern: "^[A-Za-z0-9+/]*={0,2}$" } : { type: "string", contentMediaType: "application/octet-stream" };
    case "timestamp":
      return { type: "string", format: "date-time", description: "RFC 3339 with a time zone; answered as UTC with microseconds" };
  }
}

const isOptional = (type: FieldType): boolean => typeof type === "object" && "optional" in type;

export function rowSchema(fields: FieldSchema[], bytes: BytesForm, side: "input" | "output"): JsonSchema {
  const properties = Object.fromEntries(fields.map((f) => [f.name, fieldTypeSchema(f.type, bytes)]));
  const required = fields.filter((f) => side === "output" || !isOptional(f.type)).map((f) => f.name);
  return { type: "object", properties, required, ...(side === "output" ? { additionalProperties: false } : {}) };
}
