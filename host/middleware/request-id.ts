/**
 * Every request gets an id (the caller's `x-request-id` if sane), echoed back
 * and put on every log line, and its arrival time, from which its deadline counts.
 */
import { randomUUID } from "node:crypto";
import type { MiddlewareHandler } from "hono";
import type { Logger } from "../logger.ts";
import type { HostEnv } from "./context.ts";

const SANE_ID = /^[\w.:-]{1,128}$/;

export function requestId(log: Logger): MiddlewareHandler<HostEnv> {
  return async function assignRequestId(c, next) {
    c.set("arrivedAt", performance.now());
    const given = c.req.header("x-request-id");
    const id = given && SANE_ID.test(given) ? given : randomUUID();
    c.set("requestId", id);
    c.set("log", log.child({ requestId: id }));
    c.header("x-request-id", id);
    await next();
  };
}
