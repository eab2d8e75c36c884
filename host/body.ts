/**
 * Reading a request body, bounded in size and time: a declared length over
 * the limit is refused before a byte is read; a body that grows past the
 * limit, past what the host may hold (`take` refuses), or past the caller's
 * deadline is refused as soon as it does. The rest of such a body is never
 * read, and the connection closes after the answer. Under Node's server the
 * bytes come straight from the request stream, elsewhere from the web body.
 * A body the app does not read at all is host/unread-bodies.ts's.
 */
import type { Context } from "hono";
import { ApiError, bodyTooLarge } from "../runtime/errors.ts";
import { readBoundedBody, type BodyLimits } from "../runtime/bounded-body.ts";
import { askForBody, incomingOf } from "./node-bindings.ts";

export type { BodyLimits };

/** A body refused part-way: the connection can no longer carry another request. */
const closing = (c: Context, error: ApiError) => {
  c.header("connection", "close");
  return error;
};

export function declaredLength(c: Context): number | undefined {
  const header = c.req.header("content-length");
  return header === undefined ? undefined : Number(header);
}

/** A declared length over the limit: refused before a byte of the body is read. */
export function refuseDeclaredOverLimit(c: Context, maxBytes: number): void {
  if ((declaredLength(c) ?? 0) > maxBytes) throw closing(c, bodyTooLarge(maxBytes));
}

export async function readBody(c: Context, limits: BodyLimits): Promise<Uint8Array> {
  refuseDeclaredOverLimit(c, limits.maxBytes);
  askForBody(c);
  try {
    return await readBoundedBody(incomingOf(c), () => c.req.raw.body, declaredLength(c), limits);
  } catch (error) {
    throw error instanceof ApiError ? closing(c, error) : error;
  }
}
