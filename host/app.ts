/**
 * The host's HTTP API as a Hono app, built only from web-standard pieces:
 * testable with `app.request()`, served by host/serve.ts.
 */
import { Hono } from "hono";
import { HTTPException } from "hono/http-exception";
import type { HostEnv } from "./middleware/context.ts";
import type { HostRuntime } from "./runtime.ts";
import { requestId } from "./middleware/request-id.ts";
import { authenticate } from "./middleware/auth.ts";
import { ApiError, badRequest, internalError } from "../runtime/errors.ts";
import { respondError } from "./respond.ts";
import { healthRoutes } from "./routes/health.ts";
import { metricsRoutes } from "./routes/metrics.ts";
import { environmentRoutes } from "./routes/environments.ts";
import { invokeRoutes } from "./routes/invoke.ts";
import { adminRoutes } from "./routes/admin.ts";
import { openApiRoutes } from "./routes/openapi.ts";
import { statusRoutes } from "./routes/status.ts";
import { INVOKE_ROUTE } from "./routes/invoke.ts";
import { honoPath } from "./openapi/route.ts";
import { traceInvocations } from "./tracing/middleware.ts";
import { shadowRoutes } from "./routes/shadow.ts";

export function createApp(host: HostRuntime): Hono<HostEnv> {
  const app = new Hono<HostEnv>();
  app.use(requestId(host.log));
  // /metrics names environments and functions: the same tokens, scoped the same way.
  const auth = authenticate(host.config);
  app.use("/v1/*", auth);
  app.use("/metrics", auth);
  if (host.tracing) app.post(honoPath(INVOKE_ROUTE.path), traceInvocations(host.tracing, INVOKE_ROUTE.path));

  healthRoutes(app, host);
  metricsRoutes(app, host);
  environmentRoutes(app, host);
  shadowRoutes(app, host);
  invokeRoutes(app, host);
  adminRoutes(app, host);
  openApiRoutes(app, host);
  statusRoutes(app, host);

  app.notFound((c) => respondError(c, new ApiError(404, "bad_request", `no route ${c.req.method} ${c.req.path}: GET /openapi.json lists them`)));
  app.onError(function answerError(error, c) {
    const log = c.var.log ?? host.log;
    if (error instanceof ApiError) {
      if (error.status >= 500) log.warn({ code: error.code, err: error.message }, "request failed");
      return respondError(c, error);
    }
    if (error instanceof SyntaxError) return respondError(c, badRequest(`body is not valid JSON: ${error.message}`));
    if (error instanceof HTTPException) return respondError(c, new ApiError(error.status, "bad_request", error.message));
    log.error({ err: error }, "unexpected error");
    return respondError(c, internalError(c.var.requestId ?? "unknown"));
  });
  return app;
}
