/** POST /v1/invoke/{env}/{function}: a batch of rows in, a batch of results (and per-row errors) out. */
import type { Hono } from "hono";
import type { HostEnv } from "../middleware/context.ts";
import type { HostRuntime } from "../runtime.ts";
import { decodeBody, formatOf, rowsOf } from "../codec.ts";
import { badRequest, notReady, shuttingDown } from "../errors.ts";
import { requireInvoke } from "../middleware/auth.ts";
import { invoke } from "../invoke.ts";
import { respond } from "../respond.ts";

export const DEADLINE_HEADER = "x-vial-deadline-ms";

function deadlineFrom(header: string | undefined): number | undefined {
  if (header === undefined) return undefined;
  const ms = Number(header);
  if (!Number.isFinite(ms) || ms <= 0) throw badRequest(`${DEADLINE_HEADER} must be a positive number of milliseconds, got '${header}'`);
  return ms;
}

export function invokeRoutes(app: Hono<HostEnv>, host: HostRuntime): void {
  app.post("/v1/invoke/:env/:fn", async function countInvocation(c, next) {
    const started = performance.now();
    await next();
    const { env, fn } = c.req.param();
    // Labels only for what exists: arbitrary names in URLs must not grow the metrics.
    const known = host.environments.get(env)?.version.functions.has(fn);
    const labels = known ? { env, function: fn } : { env: "unknown", function: "unknown" };
    host.metrics.requests.inc({ ...labels, status: String(c.res.status) });
    host.metrics.latency.observe(labels, (performance.now() - started) / 1000);
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
    const format = formatOf(c.req.header("content-type"));
    const rows = rowsOf(decodeBody(format, new Uint8Array(await c.req.arrayBuffer())));
    const result = await invoke(host.environments, env, fn, rows, {
      deadlineMs: deadlineFrom(c.req.header(DEADLINE_HEADER)),
      bytes: format === "cbor" ? "binary" : "base64",
      log: c.var.log,
    });
    return respond(c, format, 200, result);
  });
}
