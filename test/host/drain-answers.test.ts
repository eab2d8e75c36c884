/**
 * Stopping loses no answer: a call in the host's hands when it is told to
 * stop is answered in full, and the host stops only once its reader has
 * taken the answer (or after a grace of seconds). Stopping as soon as the
 * answer was handed to the kernel lost it in a pod: the pod's network goes
 * away with its last process, and whatever had not reached the reader yet
 * went with it.
 */
import { afterAll, beforeAll, expect, it } from "vitest";
import { connect, type Socket } from "node:net";
import { once } from "node:events";
import { rm } from "node:fs/promises";
import { join } from "node:path";
import pino from "pino";
import { serve, type Serving } from "../../host/serve.ts";
import type { Store } from "../../builds/store.ts";
import { FIXTURES, deployModule, tempStore } from "./helpers.ts";

const ROWS = 40_000; // an answer of about 1.5 MB: more than a socket's buffers hold
let store: Store;
let serving: Serving;

beforeAll(async () => {
  store = await tempStore();
  await deployModule(store, "counter", join(FIXTURES, "package.json"), join(FIXTURES, "counter-v1.ts"));
  serving = await serve({ store, logger: pino({ level: "silent" }), watch: false, config: { port: 0, pool: { size: 1 }, environments: { counter: { deadlineMs: 60_000 } } } });
  await serving.host.ready;
}, 120_000);

afterAll(async () => {
  await serving?.shutdown();
  if (store) await rm(store.root, { recursive: true, force: true });
});

/** Sends one call on a raw connection that reads nothing until told to. */
function slowReader(port: number, body: string): { socket: Socket; read(): Promise<string> } {
  const socket = connect(port, "127.0.0.1");
  socket.pause();
  socket.write(`POST /v1/invoke/counter/which HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
  return {
    socket,
    async read() {
      const chunks: Buffer[] = [];
      socket.on("data", (chunk: Buffer) => chunks.push(chunk));
      socket.resume();
      await once(socket, "close");
      return Buffer.concat(chunks).toString("utf8");
    },
  };
}

it("answers in full a call whose reader is slow, and stops once the reader has the answer", async () => {
  const port = Number(new URL(serving.address).port);
  const rows = Array.from({ length: ROWS }, (_, n) => ({ n }));
  const reader = slowReader(port, JSON.stringify({ rows }));
  // In the host's hands: running, its answer not yet read.
  await new Promise((resolve) => setTimeout(resolve, 300));
  const stopped = serving.shutdown();
  // The drain ends with the answer written and unread: the host waits for its reader.
  const meanwhile = await Promise.race([stopped.then(() => "stopped"), new Promise((resolve) => setTimeout(() => resolve("waiting"), 2000))]);
  expect(meanwhile).toBe("waiting");
  const response = await reader.read();
  await stopped;
  const [head, body] = response.split("\r\n\r\n", 2) as [string, string];
  expect(head).toMatch(/^HTTP\/1\.1 200/);
  const chunked = /transfer-encoding: chunked/i.test(head);
  const json = chunked ? dechunk(response.slice(head.length + 4)) : body;
  const answer = JSON.parse(json) as { rows: { n: number; version: string }[]; errors: unknown[] };
  expect(answer.errors).toEqual([]);
  expect(answer.rows).toHaveLength(ROWS);
  expect(answer.rows.at(-1)).toEqual({ n: ROWS - 1, version: "v1" });
});

/** The body of a chunked HTTP/1.1 message. */
function dechunk(text: string): string {
  let out = "";
  for (let at = 0; ; ) {
    const lineEnd = text.indexOf("\r\n", at);
    const size = parseInt(text.slice(at, lineEnd), 16);
    if (!size) return out;
    out += text.slice(lineEnd + 2, lineEnd + 2 + size);
    at = lineEnd + 2 + size + 2;
  }
}
