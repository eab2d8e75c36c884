/**
 * POST /v1/invoke/{env}/{function}: a batch of rows in, a batch of results
 * (and per-row errors) out. Everything that can refuse a request without its
 * body does so first, admission included (a place in the environment's line,
 * room for its declared bytes): then the body is read, within the limit and
 * the caller's deadline, goes to the environment's executor as received, and
 * its answer comes back as sent.
 */
import type { Hono } from "hono";
import type { HostEnv } from "../middleware/context.ts";
import type { HostRuntime } from "../runtime.ts";
import { CONTENT_TYPES, formatOf } from "../../runtime/codec.ts";
import { ClientGone, badRequest, bodyTooSlow, notReady, shuttingDown } from "../../runtime/errors.ts";
import { requireInvoke } from "../middleware/auth.ts";
import { servedFunction } from "../invoke.ts";
import { DrainRate, declaredLength, discardBody, readBody } from "../body.ts";
import { afterResponse, callerGone } from "../node-bindings.ts";
import { effectiveDeadline } from "../policy.ts";

export const DEADLINE_HEADER = "x-vial-deadline-ms";

function deadlineFrom(header: string | undefined): number | undefined {
  if (header === undefined) return undefined;
  const ms = Number(header);
  if (!Number.isFinite(ms) || ms <= 0) throw badRequest(`${DEADLINE_HEADER} must be a positive number of milliseconds, got '${header}'`);
  return ms;
}

export function invokeRoutes(app: Hono<HostEnv>, host: HostRuntime): void {
  const drain = new DrainRate(host.config.discardBytesPerSecond);
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
    const deadlineMs = effectiveDeadline(served.policy, deadlineFrom(c.req.header(DEADLINE_HEADER)));
    const deadlineAt = c.var.arrivedAt + deadlineMs;
    const declared = declaredLength(c);
    let admission;
    try {
      admission = served.executor.admit(Math.min(declared ?? 0, host.config.bodyLimitBytes));
    } catch (error) {
      await discardBody(c, deadlineAt, drain);
      throw error;
    }
    const { reservation } = admission;
    let answer;
    let body!: Uint8Array;
    try {
      body = await readBody(c, {
        maxBytes: host.config.bodyLimitBytes,
        deadlineAt,
        late: () => {
          host.metrics.clients.inc({ event: "slow_body" });
          return bodyTooSlow(env, fn, deadlineMs);
        },
        // A declared length was reserved whole; a body without one is reserved as it arrives.
        take: declared === undefined ? (bytes) => served.executor.take(admission, bytes) : undefined,
      });
      answer = await served.executor.call(admission, fn, { format, body }, { deadlineMs, deadlineAt }, callerGone(c));
    } catch (error) {
      reservation.release();
      if (error instanceof ClientGone) host.metrics.clients.inc({ event: "gone_before_answer" });
      throw error;
    } finally {
      admission.ticket.release();
    }
    for (const line of answer.logs ?? []) c.var.log.info({ env, function: fn, version: served.version, guest: line }, "guest log");
    // The answer is held until it is sent: a client that does not read it keeps its bytes counted.
    const bytes = answer.body as Uint8Array<ArrayBuffer>;
    host.environments.shadow(env)?.offer(fn, { format, body }, { format, body: bytes });
    reservation.add(bytes.byteLength);
    afterResponse(c, () => reservation.release());
    return c.body(bytes, 200, { "content-type": CONTENT_TYPES[format] });
  });
}
