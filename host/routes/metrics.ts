/**
 * GET /metrics, Prometheus' text exposition, scoped like GET /v1/status: with
 * tokens configured a caller needs one, and sees the series of the
 * environments it may invoke plus the host's own (those without an `env`
 * label); a token granted "*" (or the admin token) sees them all.
 */
import type { Hono } from "hono";
import { AggregatorRegistry, type Registry } from "prom-client";
import type { HostEnv, Principal } from "../middleware/context.ts";
import type { HostRuntime } from "../runtime.ts";
import { mayInvoke } from "../middleware/auth.ts";
import { declareRoute } from "../openapi/route.ts";

/** The exposition of `registry` holding only the series `principal` may see. */
export async function scopedExposition(registry: Registry, principal: Principal): Promise<string> {
  if (principal.environments === "*") return registry.metrics();
  const visible = (await registry.getMetricsAsJSON()).map((metric) => ({
    ...metric,
    values: metric.values.filter(({ labels }) => typeof labels.env !== "string" || mayInvoke(principal, labels.env)),
  }));
  // One source aggregates to itself (no cluster involved): prom-client's own serializer writes the text, escaping included.
  return AggregatorRegistry.aggregate([visible]).metrics();
}

export function metricsRoutes(app: Hono<HostEnv>, host: HostRuntime): void {
  declareRoute(
    app,
    {
      method: "get",
      path: "/metrics",
      operationId: "metrics",
      summary: "Prometheus metrics (text exposition): the host's series and those of the environments this token may invoke",
      tag: "operations",
      access: "token",
      responses: { 200: { description: "metrics", content: { "text/plain": { type: "string" } } } },
      errors: [],
    },
    async function metrics(c) {
      return c.body(await scopedExposition(host.metrics.registry, c.var.principal), 200, { "content-type": host.metrics.registry.contentType });
    },
  );
}
