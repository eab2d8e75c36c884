/** Responses in the request's format (JSON or CBOR), errors included. */
import type { Context } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { CONTENT_TYPES, encodeBody, formatOf, type WireFormat } from "../runtime/codec.ts";
import type { ApiError } from "../runtime/errors.ts";

export function respond(c: Context, format: WireFormat, status: number, value: unknown): Response {
  const body = encodeBody(format, value);
  c.header("content-type", CONTENT_TYPES[format]);
  return c.body(typeof body === "string" ? body : (body as Uint8Array<ArrayBuffer>), status as ContentfulStatusCode);
}

/** Errors answer in the format the request was sent in, JSON when that cannot be told. */
export function respondError(c: Context, error: ApiError): Response {
  let format: WireFormat = "json";
  try {
    format = formatOf(c.req.header("content-type"));
  } catch {
    format = "json";
  }
  if (error.retryAfter !== undefined) c.header("retry-after", String(error.retryAfter));
  return respond(c, format, error.status, error.toJSON());
}
