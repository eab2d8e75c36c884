/**
 * The host and an executor talk over a pipe of their own (the executor's descriptor 3), in frames: a 4-byte
 * length, then one message in V8's serialization (byte arrays cross as bytes). Not Node's IPC channel: its
 * reader throws from inside Node, where no handler can catch it, when the other side writes bytes that do not
 * deserialize, so a compromised executor could end the host with one write. Here every frame is checked
 * against a size bound before it is buffered and deserialized inside a try, and anything wrong is reported
 * to the owner, who ends that executor.
 */
import type { Socket } from "node:net";
import { deserialize, serialize } from "node:v8";

/** The executor's end of the channel. */
export const CHANNEL_FD = 3;

const HEADER_BYTES = 4;

export class Channel<In, Out> {
  private chunks: Buffer[] = [];
  private buffered = 0;
  private broken = false;

  /**
   * `receive` gets each message as it arrives; `fail` is told once, at the first frame over `maxFrameBytes`
   * or that does not deserialize, or when `receive` throws: nothing more is read after.
   */
  constructor(
    private readonly socket: Socket,
    private readonly maxFrameBytes: number,
    private readonly receive: (msg: In) => void,
    private readonly fail: (reason: string) => void,
  ) {
    socket.on("data", (chunk: Buffer) => this.read(chunk));
    // A write to a process that is gone: its end is reported by its exit.
    socket.on("error", () => undefined);
  }

  /** Sends one message; `written` runs once it is handed to the kernel (or the channel is gone). */
  send(msg: Out, written?: () => void): void {
    if (this.socket.destroyed || !this.socket.writable) return written?.();
    const payload = serialize(msg);
    const header = Buffer.allocUnsafe(HEADER_BYTES);
    header.writeUInt32BE(payload.byteLength, 0);
    this.socket.cork();
    this.socket.write(header);
    this.socket.write(payload, written && (() => written()));
    this.socket.uncork();
  }

  get connected(): boolean {
    return !this.socket.destroyed && this.socket.writable;
  }

  close(): void {
    this.socket.destroy();
  }

  private read(chunk: Buffer): void {
    if (this.broken) return;
    this.chunks.push(chunk);
    this.buffered += chunk.byteLength;
    while (this.buffered >= HEADER_BYTES) {
      const head = this.chunks[0]!.byteLength >= HEADER_BYTES ? this.chunks[0]! : this.take(HEADER_BYTES, false);
      const length = head.readUInt32BE(0);
      if (length > this.maxFrameBytes) return this.break(`a message of ${length} bytes, over the ${this.maxFrameBytes}-byte bound`);
      if (this.buffered < HEADER_BYTES + length) return;
      this.take(HEADER_BYTES, true);
      const payload = this.take(length, true);
      let msg: In;
      try {
        msg = deserialize(payload) as In;
      } catch (error) {
        return this.break(`a message that does not deserialize (${(error as Error).message})`);
      }
      try {
        this.receive(msg);
      } catch (error) {
        return this.break((error as Error).message);
      }
    }
  }

  /** The next `bytes` buffered bytes as one buffer (copied only when they span chunks); consumed if `consume`. */
  private take(bytes: number, consume: boolean): Buffer {
    const first = this.chunks[0]!;
    let out: Buffer;
    if (first.byteLength >= bytes) out = first.subarray(0, bytes);
    else {
      out = Buffer.allocUnsafe(bytes);
      let filled = 0;
      for (const chunk of this.chunks) {
        filled += chunk.copy(out, filled, 0, Math.min(chunk.byteLength, bytes - filled));
        if (filled === bytes) break;
      }
    }
    if (consume) this.consume(bytes);
    return out;
  }

  private consume(bytes: number): void {
    this.buffered -= bytes;
    while (bytes > 0) {
      const first = this.chunks[0]!;
      if (first.byteLength <= bytes) {
        this.chunks.shift();
        bytes -= first.byteLength;
      } else {
        this.chunks[0] = first.subarray(bytes);
        bytes = 0;
      }
    }
  }

  private break(reason: string): void {
    this.broken = true;
    this.chunks = [];
    this.buffered = 0;
    this.fail(reason);
  }
}
