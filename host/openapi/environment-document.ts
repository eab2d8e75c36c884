/**
 * GET /v1/environments/{env}/openapi.json: the invoke route specialised to
 * one environment's current version, a path per function with its concrete
 * row schemas, in JSON and CBOR, so a caller can generate a typed client.
 */
import type { FunctionSchema } from "../../runtime/schema.ts";
import { Components, type JsonSchema } from "./json-schema.ts";
import { operation, API_TITLE } from "./document.ts";
import { rowSchema, type BytesForm } from "./field-schema.ts";
import type { RouteDeclaration } from "./route.ts";

const MEDIA_TYPES: Record<string, BytesForm> = { "application/json": "base64", "application/cbor": "binary" };

/** A schema name of the function's: fuzzy_similarity -> FuzzySimilarity. */
const typeName = (fn: string): string => fn.replace(/(^|_)([a-z0-9])/g, (_, __, c: string) => c.toUpperCase());

function functionOperation(invoke: RouteDeclaration, env: string, fn: FunctionSchema, components: Components): JsonSchema {
  const name = typeName(fn.name);
  const bodies = (side: "input" | "output") =>
    Object.fromEntries(
      Object.entries(MEDIA_TYPES).map(([type, bytes]) => {
        const ref = `${name}${side === "input" ? "Input" : "Output"}${bytes === "binary" ? "Binary" : ""}`;
        components.add(ref, rowSchema(side === "input" ? fn.inputs : fn.outputs, bytes, side));
        const row = { $ref: `#/components/schemas/${ref}` };
        const schema =
          side === "input"
            ? { type: "object", required: ["rows"], properties: { rows: { type: "array", items: row } } }
            : { type: "object", required: ["rows", "errors"], properties: { rows: { type: "array", items: { anyOf: [row, { type: "null" }] } }, errors: { $ref: "#/components/schemas/RowErrors" } } };
        return [type, schema];
      }),
    );
  const specialised: RouteDeclaration = {
    ...invoke,
    path: `/v1/invoke/${env}/${fn.name}`,
    operationId: fn.name,
    summary: `${fn.name} (${fn.mode === "batch" ? "batch handler" : "row handler"})`,
    params: {},
    body: { ...invoke.body!, content: bodies("input") },
    responses: { ...invoke.responses, 200: { ...invoke.responses[200]!, content: bodies("output") } },
  };
  return operation(specialised, components);
}

export function environmentDocument(invoke: RouteDeclaration, env: string, version: string, functions: FunctionSchema[]): JsonSchema {
  const components = new Components();
  components.add("RowErrors", {
    type: "array",
    description: "the rows that failed, by index; their place in rows is null",
    items: { type: "object", required: ["row", "error"], properties: { row: { type: "integer", minimum: 0 }, error: { type: "string" } } },
  });
  const paths = Object.fromEntries(functions.map((fn) => [`/v1/invoke/${env}/${fn.name}`, { post: functionOperation(invoke, env, fn, components) }]));
  return {
    openapi: "3.1.0",
    info: { title: `${API_TITLE}: ${env}`, version, description: `The functions of environment '${env}' at version ${version}.` },
    paths,
    components: { schemas: components.schemas, securitySchemes: { bearer: { type: "http", scheme: "bearer" } } },
  };
}
