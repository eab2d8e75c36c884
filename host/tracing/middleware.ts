/** Registered only when tracing is on: a span per invoke request, handed to the call as its observer. */
import type { MiddlewareHandler } from "hono";
import type { HostEnv } from "../middleware/context.ts";
import { ApiError } from "../../runtime/errors.ts";
import type { Tracing } from "./index.ts";

export function traceInvocations(tracing: Promise<Tracing | undefined>, route: string): MiddlewareHandler<HostEnv> {
  return async function traceInvoke(c, next) {
    const tracer = await tracing;
    if (!tracer) return next();
    const { env, fn } = c.req.param() as { env: string; fn: string };
    const request = tracer.startRequest({
      method: c.req.method,
      route,
      path: c.req.path,
      startTime: performance.timeOrigin + c.var.arrivedAt,
      header: (name) => c.req.header(name),
      attributes: { "vial.env": env, "vial.function": fn, "vial.request_id": c.var.requestId },
    });
    c.set("trace", request);
    try {
      await next();
    } finally {
      const error = c.error instanceof ApiError ? { code: c.error.code, message: c.error.message } : undefined;
      request.end(c.res.status, error);
    }
  };
}
