// The channel's framing, over a real socket pair: messages split anywhere arrive whole, in order, bytes as
// bytes; a frame over the bound or that does not deserialize stops the channel with the reason, at once.
import { describe, expect, it } from "vitest";
import { createServer, connect, type Socket } from "node:net";
import { once } from "node:events";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { serialize } from "node:v8";
import { Channel } from "../../executor/channel.ts";

/** Two connected sockets over a unix socket. */
async function socketPair(): Promise<[Socket, Socket]> {
  const path = join(await mkdtemp(join(tmpdir(), "vial-channel-")), "s");
  const server = createServer();
  server.listen(path);
  await once(server, "listening");
  const accepted = once(server, "connection");
  const client = connect(path);
  const [peer] = (await accepted) as [Socket];
  server.close();
  return [client, peer];
}

const frame = (payload: Uint8Array) => {
  const header = Buffer.alloc(4);
  header.writeUInt32BE(payload.byteLength, 0);
  return Buffer.concat([header, payload]);
};

describe("Channel", () => {
  it("hands over every message whole and in order, however the bytes are split", async () => {
    const [a, b] = await socketPair();
    const got: unknown[] = [];
    new Channel<unknown, unknown>(b, 2 ** 20, (m) => got.push(m), (r) => got.push(`failed: ${r}`));
    const messages = [{ type: "x", bytes: new Uint8Array([1, 2, 3]) }, "text", 7, { nested: { list: [1, "two", null] } }];
    const bytes = Buffer.concat(messages.map((m) => frame(serialize(m))));
    // One byte at a time: headers and payloads split everywhere.
    for (let i = 0; i < bytes.byteLength; i++) {
      a.write(bytes.subarray(i, i + 1));
      await new Promise((r) => setImmediate(r));
    }
    await new Promise((r) => setTimeout(r, 50));
    expect(got).toEqual(messages);
    expect((got[0] as { bytes: Uint8Array }).bytes).toBeInstanceOf(Uint8Array);
    a.destroy();
  });

  it("sends what the other side reads, and says when each message is written", async () => {
    const [a, b] = await socketPair();
    const got: unknown[] = [];
    new Channel<unknown, unknown>(b, 2 ** 20, (m) => got.push(m), () => undefined);
    const sender = new Channel<unknown, unknown>(a, 2 ** 20, () => undefined, () => undefined);
    await new Promise<void>((written) => sender.send({ big: new Uint8Array(300_000).fill(9) }, written));
    await new Promise((r) => setTimeout(r, 50));
    expect((got[0] as { big: Uint8Array }).big.byteLength).toBe(300_000);
    a.destroy();
  });

  it.each([
    ["a length over the bound", frame(new Uint8Array(2000)), /over the 1000-byte bound/],
    ["bytes that do not deserialize", frame(new Uint8Array([0xff, 0x0f, 0x6f, 0x7b])), /does not deserialize/],
  ])("stops at %s, reads nothing after, and says why once", async (_what, bad, reason) => {
    const [a, b] = await socketPair();
    const got: unknown[] = [];
    const failures: string[] = [];
    new Channel<unknown, unknown>(b, 1000, (m) => got.push(m), (r) => failures.push(r));
    a.write(Buffer.concat([frame(serialize("before")), bad, frame(serialize("after"))]));
    await new Promise((r) => setTimeout(r, 50));
    expect(got).toEqual(["before"]);
    expect(failures).toHaveLength(1);
    expect(failures[0]).toMatch(reason);
    a.destroy();
  });

  it("stops when the receiver throws: a message it cannot take", async () => {
    const [a, b] = await socketPair();
    const failures: string[] = [];
    new Channel<unknown, unknown>(b, 1000, () => { throw new Error("not a message I know"); }, (r) => failures.push(r));
    a.write(Buffer.concat([frame(serialize(1)), frame(serialize(2))]));
    await new Promise((r) => setTimeout(r, 50));
    expect(failures).toEqual(["not a message I know"]);
    a.destroy();
  });
});
