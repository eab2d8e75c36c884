/**
 * What Node's HTTP server adds to a request when the app runs under it
 * (@hono/node-server puts the raw request and response in `c.env`): the
 * byte stream, when the response is really gone, and what the app tells
 * the server about the connection (it carried an authenticated request;
 * when its answer is due). Absent under `app.request()`, where callers get
 * the web-standard behaviour.
 */
import type { Context } from "hono";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Socket } from "node:net";

interface NodeBindings {
  incoming?: IncomingMessage;
  outgoing?: ServerResponse;
}

const bindings = (c: Context): NodeBindings => (c.env as NodeBindings | undefined) ?? {};

export const incomingOf = (c: Context): IncomingMessage | undefined => bindings(c).incoming;

/** Responses that have told their client to go on with its body. */
const continued = new WeakSet<ServerResponse>();
const expectsContinue = (incoming: IncomingMessage) => /^100-continue$/i.test(incoming.headers.expect?.trim() ?? "");

/** Tells a client that waits for it (`Expect: 100-continue`) to send its body; once, and only before any answer. */
export function letBodyCome(incoming: IncomingMessage, outgoing: ServerResponse): void {
  if (!expectsContinue(incoming) || continued.has(outgoing) || outgoing.headersSent) return;
  continued.add(outgoing);
  outgoing.writeContinue();
}

/** Whether the client is still holding its body back, waiting for "100 Continue". */
export const heldBack = (incoming: IncomingMessage, outgoing: ServerResponse): boolean => expectsContinue(incoming) && !continued.has(outgoing);

/** Connections that carried a request which passed authentication: they keep the long keep-alive (host/connections.ts). */
const trusted = new WeakSet<Socket>();

export function trustConnection(c: Context): void {
  const socket = bindings(c).incoming?.socket;
  if (socket) trusted.add(socket);
}

export const isTrusted = (socket: Socket): boolean => trusted.has(socket);

/** When each request's answer is due (performance.now() ms), where a route knows it: an unread body is not waited for past it. */
const due = new WeakMap<IncomingMessage, number>();

export function answerBy(c: Context, at: number): void {
  const incoming = bindings(c).incoming;
  if (incoming) due.set(incoming, at);
}

export const answerDue = (incoming: IncomingMessage): number | undefined => due.get(incoming);

/** Lets the body of a request that waits for "100 Continue" come (see `letBodyCome`). */
export function askForBody(c: Context): void {
  const { incoming, outgoing } = bindings(c);
  if (incoming && outgoing) letBodyCome(incoming, outgoing);
}

/** Aborts when the caller's connection closes before its answer was sent. */
export function callerGone(c: Context): AbortSignal | undefined {
  const outgoing = bindings(c).outgoing;
  if (!outgoing) return undefined;
  const abort = new AbortController();
  outgoing.once("close", () => {
    if (!outgoing.writableFinished) abort.abort();
  });
  return abort.signal;
}

/** Runs `done` once the response has been handed to the kernel or its connection closed (at once without Node's server). */
export function afterResponse(c: Context, done: () => void): void {
  const outgoing = bindings(c).outgoing;
  if (!outgoing || outgoing.writableFinished || outgoing.destroyed) return done();
  outgoing.once("close", done);
}
