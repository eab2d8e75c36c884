/**
 * What becomes of a request body the app answered without reading (a 401,
 * 403, 404, 415 or 400 given before the body was asked for, a 503 shed):
 * at most `UNREAD_BODY_LIMIT` bytes of it are read and dropped, no faster
 * than `discardBytesPerSecond` for all such bodies together, so a small
 * body ends in time and its keep-alive connection carries the next request.
 * A body that declares more, goes on past the limit or does not end within a
 * second (or by its request's deadline), or that the client holds back for
 * "100 Continue", is not read any further: the answer says
 * `connection: close`, the connection is half-closed after it and read no
 * more, and its descriptor goes a little later. Without this a refused body
 * is drained at the speed it comes.
 */
import { IncomingMessage, ServerResponse } from "node:http";
import type { Http2Bindings, HttpBindings } from "@hono/node-server";
import type { HostMetrics } from "./metrics.ts";
import { answerDue, heldBack } from "./node-bindings.ts";

export const UNREAD_BODY_LIMIT = 64 * 1024;
/** How long a small rest of a body is waited for, at most: it is on its way, or the client is not sending it. */
const WAIT_MS = 1000;
/**
 * How long a closing connection stays half-open after its answer: closed with bytes unread, a socket sends a
 * reset, which may reach a client still sending before it has read the answer, and the answer is lost.
 */
const LINGER_MS = 2000;

export type AppFetch = (request: Request, bindings: HttpBindings | Http2Bindings) => Response | Promise<Response>;

export function boundUnreadBodies(fetch: AppFetch, opts: { bytesPerSecond: number; metrics: HostMetrics }): AppFetch {
  const drain = new DrainRate(opts.bytesPerSecond);
  return async function answerThenSettleBody(request, bindings) {
    const response = await fetch(request, bindings);
    const { incoming, outgoing } = bindings;
    if (!(incoming instanceof IncomingMessage) || !(outgoing instanceof ServerResponse) || incoming.complete || incoming.destroyed) return response;
    const closing = /close/i.test(response.headers.get("connection") ?? "");
    if (!closing && !heldBack(incoming, outgoing) && (await dropRest(incoming, drain))) return response;
    // The connection cannot carry another request: whatever still comes is not read.
    if (!closing) opts.metrics.clients.inc({ event: "unread_body" });
    response.headers.set("connection", "close");
    lingerAfterAnswer(incoming);
    return response;
  };
}

/**
 * Node ends a `connection: close` answer with the socket's destroySoon (resOnFinish in node:_http_server): here
 * that half-closes, stops reading (Node has just set the unread body flowing, to drain it) and destroys later.
 */
function lingerAfterAnswer(incoming: IncomingMessage): void {
  const socket = incoming.socket;
  if (!socket) return;
  socket.destroySoon = () => {
    incoming.pause();
    socket.pause();
    socket.end();
    setTimeout(() => socket.destroy(), LINGER_MS).unref();
  };
}

/** Reads and drops the rest of a body when it is small and ends in time; resolves whether it did. */
function dropRest(incoming: IncomingMessage, drain: DrainRate): Promise<boolean> {
  const declared = Number(incoming.headers["content-length"] ?? 0);
  if (!(declared <= UNREAD_BODY_LIMIT)) return Promise.resolve(false);
  const due = answerDue(incoming);
  const waitMs = Math.max(0, Math.min(WAIT_MS, due === undefined ? WAIT_MS : due - performance.now()));
  let read = 0;
  let settled = false;
  return new Promise<boolean>((resolve) => {
    const done = (ended: boolean) => {
      settled = true;
      clearTimeout(timer);
      incoming.off("data", onData).off("end", onEnd).off("close", onEnd).off("error", onEnd);
      if (!ended) incoming.pause();
      resolve(ended);
    };
    const timer = setTimeout(() => done(false), waitMs);
    const onEnd = () => done(true);
    const onData = (chunk: Buffer) => {
      read += chunk.length;
      if (read > UNREAD_BODY_LIMIT) return done(false);
      const waitMs = drain.take(chunk.length);
      if (waitMs <= 0) return;
      incoming.pause();
      // Once settled the body stays paused: resumed with no reader, it would be drained at full speed.
      setTimeout(() => settled || incoming.resume(), waitMs).unref();
    };
    incoming.on("data", onData).on("end", onEnd).on("close", onEnd).on("error", onEnd);
  });
}

/** A rate for bytes that are read only to be dropped: a token bucket shared by every refused body. */
export class DrainRate {
  private tokens: number;
  private last = performance.now();

  constructor(private readonly bytesPerSecond: number) {
    this.tokens = bytesPerSecond / 10;
  }

  /** Takes `bytes`; returns how long to wait before reading more (0: go on). */
  take(bytes: number): number {
    const now = performance.now();
    this.tokens = Math.min(this.bytesPerSecond / 10, this.tokens + ((now - this.last) / 1000) * this.bytesPerSecond);
    this.last = now;
    this.tokens -= bytes;
    return this.tokens >= 0 ? 0 : (-this.tokens / this.bytesPerSecond) * 1000;
  }
}
