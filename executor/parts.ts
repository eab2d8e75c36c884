/**
 * Large bodies cross the IPC channel in parts. One message of several MiB
 * blocks its sender's event loop while it is serialized, copied and written
 * (about 6 ms for 7 MiB on an idle machine, 10-20 ms on a busy one), and
 * its receiver's while it is joined: every other request on the host waits
 * that long. Sent in parts, each one waiting for the last to be written,
 * the work is spread over many turns of the loop.
 *
 * A message carries its body's first part and, when there is more, the
 * whole body's length (`bodyBytes`); `part` messages with the same id bring
 * the rest, in order. The receiver copies them into one buffer of that
 * length as they come.
 */
export const PART_BYTES = 256 * 1024;

export interface PartMessage {
  type: "part";
  id: number;
  bytes: Uint8Array;
}

/** The first part of `body` (to send in the message itself), and the length to announce if there are more. */
export function firstPart(body: Uint8Array): { first: Uint8Array; bodyBytes?: number } {
  return body.byteLength <= PART_BYTES ? { first: body } : { first: body.subarray(0, PART_BYTES), bodyBytes: body.byteLength };
}

/**
 * Sends the parts of `body` after the first, each once the one before it is
 * written; stops early when `stillWanted` says the receiver no longer needs them.
 */
export async function sendRest(id: number, body: Uint8Array, send: (msg: PartMessage, written: () => void) => void, stillWanted: () => boolean = () => true): Promise<void> {
  for (let offset = PART_BYTES; offset < body.byteLength && stillWanted(); offset += PART_BYTES) {
    await new Promise<void>((written) => send({ type: "part", id, bytes: body.subarray(offset, offset + PART_BYTES) }, written));
  }
}

/** Messages whose bodies are still arriving, by id; each is handed back whole once its last part is in. */
export class Assembler<M> {
  private readonly arriving = new Map<number, { msg: M; body: Buffer; size: number; whole(msg: M, body: Uint8Array): M }>();

  /** Starts collecting `msg`'s body; `whole` makes the message with the complete body. */
  start(id: number, msg: M, first: Uint8Array, bodyBytes: number, whole: (msg: M, body: Uint8Array) => M): void {
    const body = Buffer.allocUnsafe(bodyBytes);
    body.set(first, 0);
    this.arriving.set(id, { msg, body, size: first.byteLength, whole });
  }

  has(id: number): boolean {
    return this.arriving.has(id);
  }

  /** Adds a part; returns the whole message once its body is complete (parts of a dropped id are ignored). */
  add(part: PartMessage): M | undefined {
    const entry = this.arriving.get(part.id);
    if (!entry) return undefined;
    if (entry.size + part.bytes.byteLength > entry.body.byteLength) throw new Error(`a part past the ${entry.body.byteLength} bytes announced`);
    entry.body.set(part.bytes, entry.size);
    entry.size += part.bytes.byteLength;
    if (entry.size < entry.body.byteLength) return undefined;
    this.arriving.delete(part.id);
    return entry.whole(entry.msg, entry.body);
  }

  /** Stops collecting `id`; returns its message if it was still arriving. */
  drop(id: number): M | undefined {
    const entry = this.arriving.get(id);
    this.arriving.delete(id);
    return entry?.msg;
  }

  clear(): void {
    this.arriving.clear();
  }
}
