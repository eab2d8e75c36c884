/**
 * zod -> JSON Schema 2020-12 (the dialect of OpenAPI 3.1), with the
 * definitions zod names (recursive types) moved to the document's
 * components so that references resolve from anywhere in it.
 */
import { z } from "zod";
import type { BodySchema } from "./route.ts";

export type JsonSchema = Record<string, unknown>;

export class Components {
  readonly schemas: Record<string, JsonSchema> = {};

  /** The JSON Schema of `schema`, its named definitions added to the components. */
  schema(schema: BodySchema): JsonSchema {
    if (!(schema instanceof z.ZodType)) return schema;
    const { $schema: _dialect, $defs, ...rest } = z.toJSONSchema(schema, { target: "draft-2020-12", io: "output" }) as JsonSchema & { $defs?: Record<string, JsonSchema> };
    for (const [name, definition] of Object.entries($defs ?? {})) this.add(name, rebase(definition) as JsonSchema);
    return rebase(rest) as JsonSchema;
  }

  add(name: string, schema: JsonSchema): void {
    const known = this.schemas[name];
    if (known && JSON.stringify(known) !== JSON.stringify(schema)) throw new Error(`two different schemas are named '${name}': give one another id`);
    this.schemas[name] = schema;
  }
}

/** `#/$defs/X` -> `#/components/schemas/X`, everywhere in a schema. */
function rebase(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(rebase);
  if (value === null || typeof value !== "object") return value;
  return Object.fromEntries(
    Object.entries(value).map(([key, v]) => [key, key === "$ref" && typeof v === "string" ? v.replace(/^#\/\$defs\//, "#/components/schemas/") : rebase(v)]),
  );
}
