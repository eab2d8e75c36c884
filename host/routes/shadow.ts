/**
 * GET /v1/environments/{env}/shadow: how the environment's shadow version
 * compares with its current one, per function: rows compared, matched and
 * mismatched, requests shed, and samples of mismatched rows. An environment
 * without a shadow answers `"version": null`.
 */
import type { Hono } from "hono";
import type { HostEnv } from "../middleware/context.ts";
import type { HostRuntime } from "../runtime.ts";
import { requireInvoke } from "../middleware/auth.ts";
import { unknownEnvironment } from "../../runtime/errors.ts";

export function shadowRoutes(app: Hono<HostEnv>, host: HostRuntime): void {
  app.get("/v1/environments/:env/shadow", function shadowComparison(c) {
    const { env } = c.req.param();
    requireInvoke(c.var.principal, env);
    const shadow = host.environments.shadow(env);
    if (!shadow && !host.environments.get(env)) throw unknownEnvironment(env);
    return c.json(shadow?.view() ?? { version: null, fraction: 0, functions: {} });
  });
}
