/** Refuses bodies over the limit before reading them whole (413), whether or not a content-length is sent. */
import type { MiddlewareHandler } from "hono";
import { bodyLimit as honoBodyLimit } from "hono/body-limit";
import { bodyTooLarge } from "../../runtime/errors.ts";
import type { HostEnv } from "./context.ts";

export function bodyLimit(maxBytes: number): MiddlewareHandler<HostEnv> {
  return honoBodyLimit({
    maxSize: maxBytes,
    onError: (c) => {
      // The rest of the body is never read: the connection cannot carry another request, so say so.
      c.header("connection", "close");
      throw bodyTooLarge(maxBytes);
    },
  });
}
