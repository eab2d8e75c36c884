/**
 * POST /v1/invoke/{env}/{function}: a batch of rows in, a batch of results
 * (and per-row errors) out. Everything that can refuse a request without its
 * body does so first; then the body goes to the environment's executor as
 * received, and its answer comes back as sent.
 */
import type { Hono } from "hono";
import type { HostEnv } from "../middleware/context.ts";
import type { HostRuntime } from "../runtime.ts";
import { CONTENT_TYPES, formatOf } from "../../runtime/codec.ts";
import { badRequest, notReady, shuttingDown } from "../../runtime/errors.ts";
import { requireInvoke } from "../middleware/auth.ts";
import { invokeServed, servedFunction } from "../invoke.ts";
import { readBody } from "../body.ts";

export const DEADLINE_HEADER = "x-vial-deadline-ms";

function deadlineFrom(header: string | undefined): number | undefined {
  if (header === undefined) return undefined;
  const ms = Number(header);
  if (!Number.isFinite(ms) || ms <= 0) throw badRequest(`${DEADLINE_HEADER} must be a positive number of milliseconds, got '${header}'`);
  return ms;
}

export function invokeRoutes(app: Hono<HostEnv>, host: HostRuntime): void {
  app.post("/v1/invoke/:env/:fn", async function countInvocation(c, next) {
    await next();
    const { env, fn } = c.req.param();
    // Labels only for what exists: arbitrary names in URLs must not grow the metrics.
    const known = host.environments.get(env)?.functions.has(fn);
    const labels = known ? { env, function: fn } : { env: "unknown", function: "unknown" };
    host.metrics.requests.inc({ ...labels, status: String(c.res.status) });
    host.metrics.latency.observe(labels, (performance.now() - c.var.arrivedAt) / 1000);
  });

  app.post("/v1/invoke/:env/:fn", async function invokeFunction(c) {
    const status = host.status();
    if (status === "starting") throw notReady();
    if (status === "stopping") {
      c.header("connection", "close");
      throw shuttingDown();
    }
    const { env, fn } = c.req.param();
    requireInvoke(c.var.principal, env);
    const served = servedFunction(host.environments, env, fn);
    const format = formatOf(c.req.header("content-type"));
    const deadlineMs = deadlineFrom(c.req.header(DEADLINE_HEADER));
    served.executor.admit();
    const body = await readBody(c, host.config.bodyLimitBytes);
    const answer = await invokeServed(served, fn, { format, body }, { deadlineMs, arrivedAt: c.var.arrivedAt, log: c.var.log, signal: c.req.raw.signal });
    return c.body(answer.body as Uint8Array<ArrayBuffer>, 200, { "content-type": CONTENT_TYPES[format] });
  });
}
