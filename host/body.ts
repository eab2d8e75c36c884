/**
 * Reading an invoke body, bounded: a declared length over the limit is
 * refused before a byte is read, and a body that grows past it while it
 * arrives is refused at that point (413; the rest is never read, and the
 * connection closes after the answer). Under Node's server the bytes come
 * straight from the request stream; elsewhere (app.request in tests) from
 * the web body stream.
 */
import type { Context } from "hono";
import type { IncomingMessage } from "node:http";
import { bodyTooLarge } from "../runtime/errors.ts";

/** What @hono/node-server puts in `c.env`. */
interface NodeBindings {
  incoming?: IncomingMessage;
}

/** Thrown by a reader whose body went past the limit. */
class TooLarge extends Error {}

export async function readBody(c: Context, maxBytes: number): Promise<Uint8Array> {
  const tooLarge = () => {
    c.header("connection", "close");
    return bodyTooLarge(maxBytes);
  };
  if (Number(c.req.header("content-length")) > maxBytes) throw tooLarge();
  const incoming = (c.env as NodeBindings | undefined)?.incoming;
  try {
    return incoming ? await fromStream(incoming, maxBytes) : await fromWeb(c.req.raw.body, maxBytes);
  } catch (error) {
    if (error instanceof TooLarge) throw tooLarge();
    throw error;
  }
}

function fromStream(incoming: IncomingMessage, maxBytes: number): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const done = (settle: () => void) => {
      incoming.off("data", onData).off("end", onEnd).off("error", onError).off("close", onClose);
      settle();
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) {
        incoming.pause();
        return done(() => reject(new TooLarge()));
      }
      chunks.push(chunk);
    };
    const onEnd = () => done(() => resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size)));
    const onError = (error: Error) => done(() => reject(error));
    const onClose = () => done(() => reject(new Error("the client closed the connection before sending the whole body")));
    incoming.on("data", onData).on("end", onEnd).on("error", onError).on("close", onClose);
  });
}

async function fromWeb(body: ReadableStream<Uint8Array> | null, maxBytes: number): Promise<Uint8Array> {
  if (!body) return new Uint8Array();
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size);
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel();
      throw new TooLarge();
    }
    chunks.push(value);
  }
}
