/**
 * Reading a request body from Node's request stream (or a web stream),
 * bounded as it arrives: past `maxBytes`, past what the reader may hold
 * (`take` refuses), or past `deadlineAt`, it stops with that error and no more
 * of the body is read. The host's route and an executor's own socket read
 * bodies with it.
 */
import type { IncomingMessage } from "node:http";
import { ApiError, bodyTooLarge, clientGone } from "./errors.ts";

export interface BodyLimits {
  maxBytes: number;
  /** performance.now() ms by which the whole body must be in. */
  deadlineAt?: number;
  /** Takes room for `bytes` more, or returns the error that refuses them. */
  take?: (bytes: number) => ApiError | undefined;
  /** The error for a body still arriving at the deadline. */
  late?: () => ApiError;
  /** The buffer for a body of a declared length (a buffer of its own by default). */
  allocate?: (bytes: number) => Buffer;
}

/** The body of `incoming` (else of the web stream `web` gives: asked for only then), `declared` bytes long if the request said so. */
export async function readBoundedBody(incoming: IncomingMessage | undefined, web: () => ReadableStream<Uint8Array> | null, declared: number | undefined, limits: BodyLimits): Promise<Uint8Array> {
  const into = new Collected(declared, limits.allocate);
  const accept = (chunk: Uint8Array): ApiError | undefined => {
    if (into.size + chunk.byteLength > limits.maxBytes) return bodyTooLarge(limits.maxBytes);
    return limits.take?.(chunk.byteLength);
  };
  const reading = incoming ? fromStream(incoming, accept, into) : fromWeb(web(), accept, into);
  // Past the deadline nobody awaits it any more: its later failure must not go unhandled.
  reading.catch(() => undefined);
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    if (limits.deadlineAt === undefined || !limits.late) return;
    timer = setTimeout(() => {
      incoming?.pause();
      reject(limits.late!());
    }, Math.max(0, limits.deadlineAt - performance.now()));
  });
  try {
    return await Promise.race([reading, late]);
  } catch (error) {
    // Whatever still arrives is not written: the buffer may be lent to another request by then.
    into.seal();
    throw error;
  } finally {
    clearTimeout(timer);
  }
}

type Accept = (chunk: Uint8Array) => ApiError | undefined;

/**
 * A body's bytes as they arrive. With a declared length they are copied into
 * one buffer of that size chunk by chunk, so a large body is never joined in
 * a single pass (several multi-megabyte copies finishing in one tick stall
 * the event loop every other request waits on).
 */
class Collected {
  private whole: Buffer | undefined;
  private chunks: Uint8Array[] = [];
  private sealed = false;
  /** Bytes added so far. */
  size = 0;

  constructor(declared: number | undefined, allocate: (bytes: number) => Buffer = (bytes) => Buffer.allocUnsafe(bytes)) {
    if (declared !== undefined && Number.isSafeInteger(declared) && declared > 0) this.whole = allocate(declared);
  }

  seal(): void {
    this.sealed = true;
  }

  add(chunk: Uint8Array): void {
    if (this.sealed) return;
    if (this.whole && this.size + chunk.byteLength > this.whole.byteLength) {
      // More than declared (only a web body can do this): keep the bytes in order as chunks.
      this.chunks = [this.whole.subarray(0, this.size)];
      this.whole = undefined;
    }
    if (this.whole) this.whole.set(chunk, this.size);
    else this.chunks.push(chunk);
    this.size += chunk.byteLength;
  }

  bytes(): Uint8Array {
    if (this.whole) return this.whole.subarray(0, this.size);
    return this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks, this.size);
  }
}

function fromStream(incoming: IncomingMessage, accept: Accept, into: Collected): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    const done = (settle: () => void) => {
      incoming.off("data", onData).off("end", onEnd).off("error", onError).off("close", onClose);
      settle();
    };
    const onData = (chunk: Buffer) => {
      const refused = accept(chunk);
      if (!refused) return void into.add(chunk);
      incoming.pause();
      done(() => reject(refused));
    };
    const onEnd = () => done(() => resolve(into.bytes()));
    const onError = (error: Error) => done(() => reject(error));
    const onClose = () => done(() => reject(clientGone()));
    incoming.on("data", onData).on("end", onEnd).on("error", onError).on("close", onClose);
  });
}

async function fromWeb(body: ReadableStream<Uint8Array> | null, accept: Accept, into: Collected): Promise<Uint8Array> {
  if (!body) return new Uint8Array(0);
  const reader = body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return into.bytes();
    const refused = accept(value);
    if (refused) {
      await reader.cancel();
      throw refused;
    }
    into.add(value);
  }
}
