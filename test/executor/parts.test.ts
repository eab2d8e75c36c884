/**
 * Large bodies cross the host-executor channel in parts: split, sent one
 * after another, and joined back into the same bytes; a dropped message's
 * late parts are ignored.
 */
import { describe, expect, it } from "vitest";
import { randomBytes } from "node:crypto";
import { Assembler, firstPart, PART_BYTES, sendRest, type PartMessage } from "../../executor/parts.ts";

interface Msg {
  id: number;
  body: Uint8Array;
}

/** Sends `body` as the first message and its parts, each "written" on the next turn, into `assembler`. */
async function cross(id: number, body: Uint8Array, assembler: Assembler<Msg>, stillWanted?: () => boolean) {
  const { first, bodyBytes } = firstPart(body);
  const done: Msg[] = [];
  if (bodyBytes === undefined) return { done: [{ id, body: first }], parts: 0 };
  assembler.start(id, { id, body: first }, first, bodyBytes, (msg, whole) => ({ ...msg, body: whole }));
  let parts = 0;
  await sendRest(
    id,
    body,
    (part: PartMessage, written) => {
      parts++;
      const whole = assembler.add(part);
      if (whole) done.push(whole);
      setImmediate(written);
    },
    stillWanted,
  );
  return { done, parts };
}

describe("bodies in parts", () => {
  it("sends a body up to one part as it is", async () => {
    const body = randomBytes(PART_BYTES);
    const { done, parts } = await cross(1, body, new Assembler<Msg>());
    expect(parts).toBe(0);
    expect(Buffer.from(done[0]!.body).equals(body)).toBe(true);
  });

  it("joins a large body from its parts into the same bytes", async () => {
    const body = randomBytes(3 * PART_BYTES + 12345);
    const { done, parts } = await cross(2, body, new Assembler<Msg>());
    expect(parts).toBe(3);
    expect(done).toHaveLength(1);
    expect(Buffer.from(done[0]!.body).equals(body)).toBe(true);
  });

  it("keeps two bodies apart when their parts interleave", async () => {
    const assembler = new Assembler<Msg>();
    const [a, b] = [randomBytes(2 * PART_BYTES + 1), randomBytes(4 * PART_BYTES)];
    const [fromA, fromB] = await Promise.all([cross(3, a, assembler), cross(4, b, assembler)]);
    expect(Buffer.from(fromA.done[0]!.body).equals(a)).toBe(true);
    expect(Buffer.from(fromB.done[0]!.body).equals(b)).toBe(true);
  });

  it("stops sending when the receiver no longer wants the rest, and ignores parts of a dropped message", async () => {
    const assembler = new Assembler<Msg>();
    let sent = 0;
    const { done, parts } = await cross(5, randomBytes(10 * PART_BYTES), assembler, () => ++sent <= 2);
    expect(parts).toBe(2);
    expect(done).toEqual([]);
    expect(assembler.drop(5)?.id).toBe(5);
    expect(assembler.add({ type: "part", id: 5, bytes: new Uint8Array(PART_BYTES) })).toBeUndefined();
    expect(assembler.drop(5)).toBeUndefined();
  });
});
