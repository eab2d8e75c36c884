/**
 * Large request bodies are read into buffers made ahead of time
 * (host/body-buffers.ts): a buffer is lent to one request at a time, comes
 * back when that request is answered, and a set written to is renewed once
 * the host is idle. End to end, every
 * answer is made from its own request's bytes, however many large bodies
 * arrive together or reuse a buffer, and a body still arriving when its
 * request was given up writes nothing into the buffer another request has.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connect } from "node:net";
import { join } from "node:path";
import { rm } from "node:fs/promises";
import type { Store } from "../../builds/store.ts";
import { BodyBuffers } from "../../host/body-buffers.ts";
import { deployModule, REPO, tempStore } from "./helpers.ts";
import { watchedHost, type Watched } from "../security/helpers.ts";

const MiB = 2 ** 20;
const IDENTITY = join(REPO, "bench", "fixtures", "identity");
const ENV = "ident";

describe("body buffers", () => {
  it("lend one buffer to one body at a time and reuse it once given back", () => {
    const buffers = new BodyBuffers(2, 4 * MiB);
    expect(buffers.freeBytes()).toBe(8 * MiB);
    const first = buffers.take(1.5 * MiB);
    const meanwhile = buffers.take(3 * MiB);
    expect(first.body.byteLength).toBe(1.5 * MiB);
    expect(meanwhile.body.buffer).not.toBe(first.body.buffer);
    first.release();
    first.release();
    expect(buffers.freeBytes()).toBe(4 * MiB);
    expect(buffers.take(2 * MiB).body.buffer).toBe(first.body.buffer);
  });

  it("make one more when all are lent, and keep no more than their set", () => {
    const buffers = new BodyBuffers(2, 4 * MiB);
    const lent = [buffers.take(2 * MiB), buffers.take(2 * MiB), buffers.take(2 * MiB)];
    expect(new Set(lent.map((lease) => lease.body.buffer)).size).toBe(3);
    for (const lease of lent) lease.release();
    expect(buffers.freeBytes()).toBe(8 * MiB);
  });

  it("renew a set that was written to once idle, and tell how much was written", async () => {
    const written: number[] = [];
    const buffers = new BodyBuffers(1, 4 * MiB, (bytes) => written.push(bytes), 20);
    const lease = buffers.take(3 * MiB);
    lease.release();
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(written).toEqual([3 * MiB]);
    expect(buffers.take(MiB).body.buffer).not.toBe(lease.body.buffer);
  });
});

describe("large bodies through a host", () => {
  let store: Store;
  let host: Watched;
  beforeAll(async () => {
    store = await tempStore();
    await deployModule(store, ENV, join(IDENTITY, "package.json"), join(IDENTITY, "features.ts"));
    // A deadline long enough for six large batches at once on a busy machine: this is about bytes, not time.
    host = await watchedHost(store, { pool: { size: 2, maxQueue: 16, deadlineMs: 30_000 } });
  }, 300_000);
  afterAll(async () => {
    await host?.close();
    if (store) await rm(store.root, { recursive: true, force: true });
  });

  /** About 1.3 MiB of rows, every text naming its batch. */
  const rowsOf = (batch: string) => Array.from({ length: 20_000 }, (_, id) => ({ id, text: `${batch}, row ${id} of a large batch` }));

  it("answer every request from its own bytes, together and one after another", async () => {
    for (const round of ["first", "second"]) {
      const batches = Array.from({ length: 6 }, (_, i) => `${round}-${i}`);
      const answers = await Promise.all(batches.map((batch) => host.invoke(ENV, "identity", rowsOf(batch))));
      answers.forEach((answer, i) => {
        expect(answer.status).toBe(200);
        expect(answer.value.rows).toEqual(rowsOf(batches[i]!));
      });
    }
  });

  it("write nothing of a body given up at its deadline into the buffer the next one gets", async () => {
    const late = JSON.stringify({ rows: rowsOf("late") });
    const url = new URL(host.base);
    const socket = connect(Number(url.port), url.hostname);
    socket.on("error", () => undefined);
    let received = "";
    socket.on("data", (chunk) => (received += chunk.toString("latin1")));
    socket.write(
      `POST /v1/invoke/${ENV}/identity HTTP/1.1\r\nhost: ${url.host}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(late)}\r\nx-vial-deadline-ms: 300\r\n\r\n`,
    );
    socket.write(late.slice(0, late.length / 2));
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(received).toMatch(/^HTTP\/1\.1 504/);
    // The next body takes the buffer back; the rest of the late one arrives while it is read.
    const next = host.invoke(ENV, "identity", rowsOf("next"));
    socket.write(late.slice(late.length / 2));
    const answer = await next;
    socket.destroy();
    expect(answer.status).toBe(200);
    expect(answer.value.rows).toEqual(rowsOf("next"));
  });
});
