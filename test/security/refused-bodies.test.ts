/**
 * A body sent with a request the host answers without reading it (401, 403,
 * 404, 415, 400, 413, 503, or any answer given before the body was asked
 * for) is not read past a small bound, chunked or declared: the client gets
 * its answer, the connection closes, and the host's socket has read no more
 * than the bound and one socket read besides the headers. A small body is
 * read to its end and its connection carries the next request.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connect, type Socket } from "node:net";
import { join } from "node:path";
import { rm } from "node:fs/promises";
import type { Store } from "../../builds/store.ts";
import { createLogger } from "../../host/logger.ts";
import { serve, type Serving } from "../../host/serve.ts";
import { UNREAD_BODY_LIMIT } from "../../host/unread-bodies.ts";
import { deployModule, metricValue, REPO, tempStore } from "../host/helpers.ts";

const IDENTITY = join(REPO, "bench", "fixtures", "identity");
const ENV = "calm";
const TOKENS = { "calm-token": [ENV], "other-token": ["elsewhere"], "ops-token": ["*"] };
/** What one read of a socket takes at most (libuv's buffer): the host may have read that much before it answered. */
const SOCKET_READ = 64 * 1024;
const ENVIRONMENT_BYTES = 2 ** 20;

let store: Store;
let serving: Serving;
/** The host's side of each connection, by the client's port. */
const hostSockets = new Map<number, Socket>();

beforeAll(async () => {
  store = await tempStore();
  await deployModule(store, ENV, join(IDENTITY, "package.json"), join(IDENTITY, "features.ts"));
  serving = await serve({ store, watch: false, logger: createLogger("warn"), config: { port: 0, tokens: TOKENS, adminToken: "admin-token", environmentBufferLimitBytes: ENVIRONMENT_BYTES, pool: { size: 1 } } });
  await serving.host.ready;
  serving.server.on("connection", (socket: Socket) => hostSockets.set(socket.remotePort!, socket));
}, 300_000);

afterAll(async () => {
  await serving?.shutdown();
  if (store) await rm(store.root, { recursive: true, force: true });
});

interface Sent {
  /** The status line the host answered with. */
  status: string;
  /** Bytes of body the client had handed to its socket when the host closed the connection. */
  written: number;
  /** Bytes the host read from the connection, headers included. */
  hostRead: number;
  headerBytes: number;
}

/** Sends `head`, then body bytes as fast as the connection takes them (chunks of a chunked body, or raw), until the host closes it. */
function sendEndlessly(head: string, chunked: boolean): Promise<Sent> {
  const url = new URL(serving.address);
  const socket = connect(Number(url.port), url.hostname);
  let received = "";
  let written = 0;
  const piece = chunked ? `10000\r\n${"x".repeat(0x10000)}\r\n` : "x".repeat(0x10000);
  const pump = () => {
    while (!socket.destroyed && socket.writable && socket.write(piece)) written += piece.length;
  };
  socket.on("error", () => undefined).on("data", (chunk) => (received += chunk.toString("latin1")));
  let port = 0;
  socket.on("connect", () => {
    port = socket.localPort!;
    socket.write(head);
    socket.on("drain", pump);
    pump();
  });
  return new Promise((resolve) =>
    socket.on("close", () => {
      const host = hostSockets.get(port)!;
      resolve({ status: received.split("\r\n")[0]!, written, hostRead: host.bytesRead, headerBytes: Buffer.byteLength(head) });
    }),
  );
}

const headers = (lines: Record<string, string>) => Object.entries(lines).map(([k, v]) => `${k}: ${v}\r\n`).join("");
const events = async () => metricValue(await serving.host.metrics.registry.metrics(), "vial_client_events_total", { event: "unread_body" });

const invokePath = (env: string) => `/v1/invoke/${env}/identity`;
const json = { host: "x", "content-type": "application/json" };
const refusals: Array<[string, string, string, Record<string, string>, RegExp]> = [
  ["no token", "POST", invokePath(ENV), json, / 401 /],
  ["a token for another environment", "POST", invokePath(ENV), { ...json, authorization: "Bearer other-token" }, / 403 /],
  ["an unknown environment", "POST", invokePath("nowhere"), { ...json, authorization: "Bearer ops-token" }, / 404 /],
  ["an unsupported content type", "POST", invokePath(ENV), { host: "x", "content-type": "text/plain", authorization: "Bearer calm-token" }, / 415 /],
  ["a bad deadline header", "POST", invokePath(ENV), { ...json, authorization: "Bearer calm-token", "x-vial-deadline-ms": "soon" }, / 400 /],
  ["an admin call without the admin token", "POST", "/v1/admin/reload", { ...json, authorization: "Bearer calm-token" }, / 403 /],
  ["no such route", "POST", "/nowhere", json, / 404 /],
  ["a route that takes no body", "GET", "/healthz", { host: "x" }, / 200 /],
];

describe("bodies of refused requests", () => {
  it.each(refusals)("%s: chunked without end, answered, and read no further than the bound", async (_what, method, path, lines, status) => {
    const before = await events();
    const sent = await sendEndlessly(`${method} ${path} HTTP/1.1\r\n${headers({ ...lines, "transfer-encoding": "chunked" })}\r\n`, true);
    expect(sent.status).toMatch(status);
    expect(sent.hostRead - sent.headerBytes).toBeLessThanOrEqual(UNREAD_BODY_LIMIT + SOCKET_READ);
    expect(await events()).toBe(before + 1);
  });

  it.each([
    ...refusals.map(([what, method, path, lines, status]) => [what, method, path, { ...lines, "content-length": String(2 ** 30) }, status] as const),
    ["a declared length over the body limit", "POST", invokePath(ENV), { ...json, authorization: "Bearer calm-token", "content-length": String(2 ** 30) }, / 413 /] as const,
    ["no room in the environment's byte budget", "POST", invokePath(ENV), { ...json, authorization: "Bearer calm-token", "content-length": String(2 * ENVIRONMENT_BYTES) }, / 503 /] as const,
  ])("%s: a declared large body is answered without being read", async (what, method, path, lines, status) => {
    const sent = await sendEndlessly(`${method} ${path} HTTP/1.1\r\n${headers(lines)}\r\n`, false);
    expect(sent.status).toMatch(status);
    expect(sent.hostRead - sent.headerBytes).toBeLessThanOrEqual(SOCKET_READ);
    console.log(`[vial-figures] refused-body ${JSON.stringify({ what, clientWroteKiB: Math.round(sent.written / 1024), hostReadKiB: Math.round(sent.hostRead / 1024) })}`);
  });

  it("reads a small refused body to its end, and its connection carries the next request", async () => {
    const url = new URL(serving.address);
    const socket = connect(Number(url.port), url.hostname);
    let received = "";
    socket.on("data", (chunk) => (received += chunk.toString("latin1")));
    const body = JSON.stringify({ rows: [{ id: 1, text: "x".repeat(1000) }] });
    socket.write(`POST ${invokePath(ENV)} HTTP/1.1\r\n${headers({ ...json, authorization: "Bearer other-token", "content-length": String(body.length) })}\r\n${body}`);
    socket.write(`GET /healthz HTTP/1.1\r\nhost: x\r\n\r\n`);
    while (!/HTTP\/1\.1 200 [\s\S]*\{"status":"ok"\}/.test(received)) await new Promise((resolve) => socket.once("data", resolve));
    expect(received).toMatch(/^HTTP\/1\.1 403 /);
    expect(received).not.toMatch(/connection: close/i);
    socket.destroy();
  });
});
