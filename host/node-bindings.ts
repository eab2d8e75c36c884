/**
 * What Node's HTTP server adds to a request when the app runs under it
 * (@hono/node-server puts the raw request and response in `c.env`): the
 * byte stream, and when the response is really gone. Absent under
 * `app.request()`, where callers get the web-standard behaviour.
 */
import type { Context } from "hono";
import type { IncomingMessage, ServerResponse } from "node:http";

interface NodeBindings {
  incoming?: IncomingMessage;
  outgoing?: ServerResponse;
}

const bindings = (c: Context): NodeBindings => (c.env as NodeBindings | undefined) ?? {};

export const incomingOf = (c: Context): IncomingMessage | undefined => bindings(c).incoming;

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
