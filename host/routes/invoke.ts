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
import {
  ApiError,
  ClientGone,
  badRequest,
  bodyTooLarge,
  bodyTooSlow,
  bytesShed,
  deadlineExceeded,
  executorLost,
  forbidden,
  guestError,
  guestTrap,
  invalidRow,
  memoryLimit,
  notReady,
  outputTooLarge,
  overloaded,
  shuttingDown,
  unavailable,
  unknownEnvironment,
  unknownFunction,
  unsupportedMediaType,
} from "../../runtime/errors.ts";
import { requireInvoke } from "../middleware/auth.ts";
import { countInvoke } from "../metrics.ts";
import { DEADLINE_HEADER, NON_FINITE_HEADER, deadlineFrom, nonFiniteFrom } from "../../runtime/invoke-headers.ts";
import { servedFunction } from "../invoke.ts";
import { collectGarbage } from "../../runtime/garbage.ts";
import { BodyBuffers, POOLED_FROM_BYTES, type BodyLease } from "../body-buffers.ts";
import { declaredLength, readBody, refuseDeclaredOverLimit } from "../body.ts";
import { afterResponse, answerBy, callerGone } from "../node-bindings.ts";
import { effectiveDeadline } from "../../supervision/policy.ts";
import { declareRoute, pathPattern, type RouteDeclaration } from "../openapi/route.ts";
import { invokeRequest, invokeResponse } from "../openapi/schemas.ts";

const [ENV, FN] = ["{env}", "{fn}"];

/** The invoke route as GET /openapi.json shows it; each environment's document specialises it per function. */
export const INVOKE_ROUTE: RouteDeclaration = {
  method: "post",
  path: "/v1/invoke/{env}/{fn}",
  operationId: "invoke",
  summary: "Run a batch of rows through a function",
  description:
    "Rows are checked against the function's input schema before they enter the guest, outputs against its output schema (a wrong output row becomes that row's error). The answer is in the request's format. Concrete row schemas: GET /v1/environments/{env}/openapi.json.",
  tag: "invoke",
  access: "token",
  params: { env: "environment name", fn: "function name" },
  headers: {
    [DEADLINE_HEADER]: "lowers (never raises) the environment's deadline, in milliseconds; it counts from the request's arrival",
    [NON_FINITE_HEADER]: "how a JSON answer writes NaN and ±Infinity in fields that allow them: 'null' (the default) or 'string' (\"NaN\", \"Infinity\", \"-Infinity\"); CBOR answers carry them as floats",
  },
  body: {
    required: true,
    description: "bytes fields as base64 strings in JSON, as byte strings in CBOR",
    content: { "application/json": invokeRequest, "application/cbor": invokeRequest },
  },
  responses: {
    200: {
      description: "one result per row, null where the row failed, and the per-row errors",
      content: { "application/json": invokeResponse, "application/cbor": invokeResponse },
    },
  },
  errors: [
    invalidRow(0, "field 'text': expected string, got number"),
    badRequest('body must be an object {"rows": [...]}'),
    badRequest(`${DEADLINE_HEADER} must be a positive number of milliseconds, got 'soon'`),
    badRequest(`${NON_FINITE_HEADER} must be 'null' or 'string', got 'text'`),
    forbidden(`invoke environment '${ENV}'`),
    unknownEnvironment(ENV),
    unknownFunction(ENV, FN, ["…"]),
    bodyTooLarge(8 * 2 ** 20),
    unsupportedMediaType("text/plain"),
    guestError(ENV, FN, "…"),
    guestTrap(ENV, FN, "…"),
    executorLost(ENV, FN, "was killed by SIGKILL"),
    memoryLimit(ENV, FN, 256 * 2 ** 20),
    outputTooLarge(ENV, FN, 40 * 2 ** 20, 32 * 2 ** 20),
    overloaded(ENV, 1),
    bytesShed(ENV, "environment", 128 * 2 ** 20, 1),
    unavailable(ENV, 1),
    notReady(),
    shuttingDown(),
    deadlineExceeded(ENV, FN, 1000, true),
    deadlineExceeded(ENV, FN, 1000, false),
    bodyTooSlow(ENV, FN, 1000),
  ],
};

const INVOKE_PATTERN = pathPattern(INVOKE_ROUTE.path);

/** Whether a request is an invoke: the one route that admits a request before it asks for the body. */
export const isInvoke = (method: string | undefined, url: string | undefined): boolean => method === "POST" && INVOKE_PATTERN.test(url ?? "");

const COLLECT_AFTER_WRITING_BYTES = 32 * 2 ** 20;

export function invokeRoutes(app: Hono<HostEnv>, host: HostRuntime): void {
  // Enough for the byte budget of the largest bodies. A full collection after a flood gives the written buffers'
  // memory back now; after a few large bodies V8's own will do.
  const buffers = new BodyBuffers(
    Math.floor(host.config.bufferLimitBytes / host.config.bodyLimitBytes),
    host.config.bodyLimitBytes,
    (written) => written >= COLLECT_AFTER_WRITING_BYTES && collectGarbage(),
  );
  declareRoute(app, INVOKE_ROUTE, async function countInvocation(c, next) {
    await next();
    const { env, fn } = c.req.param() as { env: string; fn: string };
    const known = host.environments.get(env)?.functions.has(fn);
    const error = c.error instanceof ApiError && !(c.error instanceof ClientGone) ? c.error : undefined;
    countInvoke(host.metrics, { env, fn: known ? fn : undefined, status: c.res.status, ms: performance.now() - c.var.arrivedAt, error });
  }, async function invokeFunction(c) {
    const status = host.status();
    if (status === "starting") throw notReady();
    if (status === "stopping") {
      c.header("connection", "close");
      throw shuttingDown();
    }
    const { env, fn } = c.req.param() as { env: string; fn: string };
    requireInvoke(c.var.principal, env);
    const served = servedFunction(host.environments, env, fn);
    const format = formatOf(c.req.header("content-type"));
    const deadlineMs = effectiveDeadline(served.policy, deadlineFrom(c.req.header(DEADLINE_HEADER)));
    const nonFinite = nonFiniteFrom(c.req.header(NON_FINITE_HEADER));
    const deadlineAt = c.var.arrivedAt + deadlineMs;
    // A refused request's unread body is not waited for past its deadline (host/unread-bodies.ts).
    answerBy(c, deadlineAt);
    refuseDeclaredOverLimit(c, host.config.bodyLimitBytes);
    const declared = declaredLength(c);
    const admission = served.supervisor.admit(declared ?? 0);
    const { reservation } = admission;
    let answer;
    let body!: Uint8Array;
    let lease: BodyLease | undefined;
    try {
      body = await readBody(c, {
        allocate: (bytes) => (bytes >= POOLED_FROM_BYTES ? (lease = buffers.take(bytes)).body : Buffer.allocUnsafe(bytes)),
        maxBytes: host.config.bodyLimitBytes,
        deadlineAt,
        late: () => {
          host.metrics.clients.inc({ event: "slow_body" });
          return bodyTooSlow(env, fn, deadlineMs);
        },
        // A declared length was reserved whole; a body without one is reserved as it arrives.
        take: declared === undefined ? (bytes) => served.supervisor.take(admission, bytes) : undefined,
      });
      answer = await served.supervisor.call(admission, fn, { format, body }, { deadlineMs, deadlineAt }, { signal: callerGone(c), observer: c.var.trace, nonFinite });
    } catch (error) {
      reservation.release();
      lease?.release();
      if (error instanceof ClientGone) host.metrics.clients.inc({ event: "gone_before_answer" });
      throw error;
    } finally {
      admission.ticket.release();
    }
    for (const line of answer.logs ?? []) c.var.log.info({ env, function: fn, version: served.version, guest: line }, "guest log");
    // The answer is held until it is sent: a client that does not read it keeps its bytes counted.
    const bytes = answer.body as Uint8Array<ArrayBuffer>;
    host.environments.shadow(env)?.offer(fn, { format, body }, { format, body: bytes }, nonFinite);
    reservation.add(bytes.byteLength);
    afterResponse(c, () => {
      reservation.release();
      lease?.release();
    });
    return c.body(bytes, 200, { "content-type": CONTENT_TYPES[format] });
  });
}
