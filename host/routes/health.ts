/** Liveness, readiness (every pool warm) and Prometheus metrics. Unauthenticated: they carry no data. */
import type { Hono } from "hono";
import type { HostEnv } from "../middleware/context.ts";
import type { HostRuntime } from "../runtime.ts";

export function healthRoutes(app: Hono<HostEnv>, host: HostRuntime): void {
  app.get("/healthz", (c) => c.json({ status: "ok" }));

  app.get("/readyz", function readiness(c) {
    const status = host.status();
    return c.json({ status }, status === "ready" ? 200 : 503);
  });

  app.get("/metrics", async function metrics(c) {
    return c.body(await host.metrics.registry.metrics(), 200, { "content-type": host.metrics.registry.contentType });
  });
}
