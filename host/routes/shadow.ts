/**
 * GET /v1/environments/{env}/shadow: how the environment's shadow version
 * compares with its current one, per function: rows compared, matched and
 * mismatched, requests shed, and samples of mismatched rows. An environment
 * without a shadow answers `"version": null`.
 */
import type { Hono } from "hono";
import type { z } from "zod";
import type { HostEnv } from "../middleware/context.ts";
import type { HostRuntime } from "../runtime.ts";
import { requireInvoke } from "../middleware/auth.ts";
import { forbidden, unknownEnvironment } from "../../runtime/errors.ts";
import { declareRoute } from "../openapi/route.ts";
import { shadowReport } from "../openapi/schemas.ts";

export function shadowRoutes(app: Hono<HostEnv>, host: HostRuntime): void {
  declareRoute(
    app,
    {
      method: "get",
      path: "/v1/environments/{env}/shadow",
      operationId: "shadowComparison",
      summary: "How the environment's shadow version compares with its current one, per function",
      tag: "environments",
      access: "token",
      params: { env: "environment name" },
      responses: { 200: { description: "the comparison so far, or version null without a shadow", content: { "application/json": shadowReport } } },
      errors: [forbidden("invoke environment '{env}'"), unknownEnvironment("{env}")],
    },
    function shadowComparison(c) {
      const env = c.req.param("env")!;
      requireInvoke(c.var.principal, env);
      const shadow = host.environments.shadow(env);
      if (!shadow && !host.environments.get(env)) throw unknownEnvironment(env);
      return c.json((shadow?.view() ?? { version: null, fraction: 0, functions: {} }) satisfies z.infer<typeof shadowReport>);
    },
  );
}
