/** Liveness and readiness (every pool warm). Unauthenticated: they carry no data (metrics, which do, are in metrics.ts). */
import type { Hono } from "hono";
import type { HostEnv } from "../middleware/context.ts";
import type { HostRuntime } from "../runtime.ts";
import { declareRoute } from "../openapi/route.ts";
import { health, readiness } from "../openapi/schemas.ts";

export function healthRoutes(app: Hono<HostEnv>, host: HostRuntime): void {
  declareRoute(
    app,
    { method: "get", path: "/healthz", operationId: "health", summary: "Liveness: the host's event loop answers", tag: "operations", access: "public", responses: { 200: { description: "alive", content: { "application/json": health } } }, errors: [] },
    (c) => c.json({ status: "ok" } as const),
  );

  declareRoute(
    app,
    {
      method: "get",
      path: "/readyz",
      operationId: "readiness",
      summary: "Readiness: 200 once every environment's executor is warm",
      tag: "operations",
      access: "public",
      responses: { 200: { description: "ready", content: { "application/json": readiness } }, 503: { description: "starting or stopping", content: { "application/json": readiness } } },
      errors: [],
    },
    function readinessCheck(c) {
      const status = host.status();
      return c.json({ status }, status === "ready" ? 200 : 503);
    },
  );
}
