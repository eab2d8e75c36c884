/**
 * A function's row schema (the manifest's FunctionSchema) as JSON Schema:
 * what a caller's typed client is generated from. Inputs may leave out
 * optional fields and carry other keys (ignored); outputs carry every
 * declared field (null where an optional one is absent) and nothing else.
 */
import { MAX_INT64, type FieldSchema, type FieldType } from "../../guest-sdk/js/schema.ts";
import type { JsonSchema } from "./json-schema.ts";

/** JSON carries bytes as base64 text; CBOR as byte strings. */
export type BytesForm = "base64" | "binary";

export function fieldTypeSchema(type: FieldType, bytes: BytesForm): JsonSchema {
  if (typeof type === "object") {
    if ("array" in type) return { type: "array", items: fieldTypeSchema(type.array, bytes) };
    return { anyOf: [fieldTypeSchema(type.optional, bytes), { type: "null" }] };
  }
  switch (type) {
    case "string":
      return { type: "string" };
    case "int64":
      // What a JSON number holds exactly: the host refuses anything outside.
      return { type: "integer", format: "int64", minimum: -MAX_INT64, maximum: MAX_INT64 };
    case "float64":
      return { type: "number", format: "double" };
    case "bool":
      return { type: "boolean" };
    case "bytes":
      return bytes === "base64" ? { type: "string", contentEncoding: "base64", pattern: "^[A-Za-z0-9+/]*={0,2}$" } : { type: "string", contentMediaType: "application/octet-stream" };
  }
}

const isOptional = (type: FieldType): boolean => typeof type === "object" && "optional" in type;

export function rowSchema(fields: FieldSchema[], bytes: BytesForm, side: "input" | "output"): JsonSchema {
  const properties = Object.fromEntries(fields.map((f) => [f.name, fieldTypeSchema(f.type, bytes)]));
  const required = fields.filter((f) => side === "output" || !isOptional(f.type)).map((f) => f.name);
  return { type: "object", properties, required, ...(side === "output" ? { additionalProperties: false } : {}) };
}
