/**
 * GET /openapi.json: the host's API as OpenAPI 3.1, derived from the route
 * declarations. Every route also answers 500 `internal`, every route
 * behind a token 401 `unauthorized` (the auth middleware's), and every route
 * with names in its path 400 `bad_request` for a name that is not one.
 */
import { type ApiError, internalError, unauthorized } from "../../runtime/errors.ts";
import { Components, type JsonSchema } from "./json-schema.ts";
import type { DeclaredResponse, RouteDeclaration } from "./route.ts";
import { nameErrors, parameterSchema } from "../names.ts";

export const API_TITLE = "vial";

export function errorBodySchema(codes: string[]): JsonSchema {
  return {
    type: "object",
    required: ["error"],
    properties: {
      error: {
        type: "object",
        required: ["code", "message"],
        properties: { code: { type: "string", enum: codes }, message: { type: "string", description: "what went wrong and what to do about it" } },
      },
    },
  };
}

/** Responses for refusals, one per status, each listing its codes with an example message. */
export function errorResponses(errors: ApiError[], mediaTypes: string[]): Record<string, JsonSchema> {
  const byStatus = new Map<number, ApiError[]>();
  for (const error of errors) byStatus.set(error.status, [...(byStatus.get(error.status) ?? []), error]);
  const responses: Record<string, JsonSchema> = {};
  for (const [status, list] of [...byStatus].sort(([a], [b]) => a - b)) {
    const codes = [...new Set(list.map((e) => e.code))];
    const schema = errorBodySchema(codes);
    const examples = Object.fromEntries(list.map((e, i) => [`${e.code}${list.slice(0, i).some((o) => o.code === e.code) ? `_${i}` : ""}`, { value: e.toJSON() }]));
    responses[status] = {
      description: codes.join(", "),
      ...(list.some((e) => e.retryAfter !== undefined) || status === 503 ? { headers: { "retry-after": { description: "seconds until a retry has a fair chance", schema: { type: "integer" } } } } : {}),
      content: Object.fromEntries(mediaTypes.map((type) => [type, { schema, examples }])),
    };
  }
  return responses;
}

function response(declared: DeclaredResponse, components: Components): JsonSchema {
  return {
    description: declared.description,
    ...(declared.headers ? { headers: Object.fromEntries(Object.entries(declared.headers).map(([name, description]) => [name, { description, schema: { type: "string" } }])) } : {}),
    ...(declared.content ? { content: Object.fromEntries(Object.entries(declared.content).map(([type, schema]) => [type, { schema: components.schema(schema) }])) } : {}),
  };
}

export function operation(route: RouteDeclaration, components: Components): JsonSchema {
  const params = Object.entries(route.params ?? {}).map(([name, description]) => ({ name, in: "path", required: true, description, schema: parameterSchema(name) }));
  const headers = Object.entries(route.headers ?? {}).map(([name, description]) => ({ name, in: "header", required: false, description, schema: { type: "string" } }));
  const errors = [...(route.access === "public" ? [] : [unauthorized()]), ...nameErrors(Object.keys(route.params ?? {})), ...route.errors, internalError("…")];
  // Errors answer in the request's format: CBOR where the route takes CBOR.
  const errorTypes = ["application/json", ...(route.body?.content["application/cbor"] ? ["application/cbor"] : [])];
  const declared = Object.fromEntries(Object.entries(route.responses).map(([status, r]) => [status, response(r, components)]));
  return {
    operationId: route.operationId,
    summary: route.summary,
    ...(route.description ? { description: route.description } : {}),
    tags: [route.tag],
    ...(params.length + headers.length ? { parameters: [...params, ...headers] } : {}),
    ...(route.body
      ? {
          requestBody: {
            required: route.body.required,
            ...(route.body.description ? { description: route.body.description } : {}),
            content: Object.fromEntries(Object.entries(route.body.content).map(([type, schema]) => [type, { schema: components.schema(schema) }])),
          },
        }
      : {}),
    responses: { ...declared, ...errorResponses(errors, errorTypes) },
    // With no tokens configured the host is open; with tokens, they are bearer tokens.
    security: route.access === "public" ? [] : route.access === "admin" ? [{ bearer: [] }] : [{}, { bearer: [] }],
  };
}

export function hostDocument(routes: readonly RouteDeclaration[], version: string): JsonSchema {
  const components = new Components();
  const paths: Record<string, Record<string, JsonSchema>> = {};
  for (const route of routes) (paths[route.path] ??= {})[route.method] = operation(route, components);
  return {
    openapi: "3.1.0",
    info: {
      title: API_TITLE,
      version,
      description: "Batches of rows through WebAssembly transformations. Each environment's functions, with their row schemas: GET /v1/environments/{env}/openapi.json.",
    },
    tags: [...new Set(routes.map((r) => r.tag))].map((name) => ({ name })),
    paths,
    components: { schemas: components.schemas, securitySchemes: { bearer: { type: "http", scheme: "bearer", description: "a token from the host's configuration (tokens, adminToken)" } } },
  };
}

