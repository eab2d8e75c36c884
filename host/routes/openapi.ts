/**
 * The API described: GET /openapi.json (every route, from their
 * declarations) and GET /v1/environments/{env}/openapi.json (one
 * environment's functions with their row schemas).
 */
import type { Hono } from "hono";
import type { HostEnv } from "../middleware/context.ts";
import type { HostRuntime } from "../runtime.ts";
import { requireInvoke } from "../middleware/auth.ts";
import { forbidden, unknownEnvironment } from "../../runtime/errors.ts";
import { VIAL_VERSION } from "../version.ts";
import { declareRoute, declaredRoutes } from "../openapi/route.ts";
import { hostDocument } from "../openapi/document.ts";
import { environmentDocument } from "../openapi/environment-document.ts";
import { openApiDocument } from "../openapi/schemas.ts";
import { INVOKE_ROUTE } from "./invoke.ts";

const document = { "application/json": openApiDocument };

export function openApiRoutes(app: Hono<HostEnv>, host: HostRuntime): void {
  let described: Record<string, unknown> | undefined;
  declareRoute(
    app,
    { method: "get", path: "/openapi.json", operationId: "openapi", summary: "This document: the host's API in OpenAPI 3.1", tag: "openapi", access: "public", responses: { 200: { description: "OpenAPI 3.1", content: document } }, errors: [] },
    // Built on first request, once every route is declared.
    (c) => c.json((described ??= hostDocument(declaredRoutes(app), VIAL_VERSION)) as Record<string, never>),
  );

  declareRoute(
    app,
    {
      method: "get",
      path: "/v1/environments/{env}/openapi.json",
      operationId: "environmentOpenapi",
      summary: "An environment's functions in OpenAPI 3.1, with their concrete row schemas: generate a typed client from it",
      tag: "openapi",
      access: "token",
      params: { env: "environment name" },
      responses: { 200: { description: "OpenAPI 3.1 for the environment's current version", content: document } },
      errors: [forbidden("invoke environment '{env}'"), unknownEnvironment("{env}")],
    },
    function environmentOpenApi(c) {
      const env = c.req.param("env")!;
      requireInvoke(c.var.principal, env);
      const served = host.environments.get(env);
      if (!served) throw unknownEnvironment(env);
      return c.json(environmentDocument(INVOKE_ROUTE, env, served.version, served.manifest.functions) as Record<string, never>);
    },
  );
}
