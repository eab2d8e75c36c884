/**
 * Clients that hold a connection without doing their part: headers that
 * trickle in, a body that trickles in, an answer nobody reads, a connection
 * reset half-way through its body. Each is cut (or dropped) and counted, the
 * bytes it held are given back, and everyone else is served meanwhile.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connect, type Socket } from "node:net";
import { join } from "node:path";
import { rm } from "node:fs/promises";
import type { Store } from "../../builds/store.ts";
import { deployModule, eventually, metricValue, REPO, tempStore } from "../host/helpers.ts";
import { watchedHost, type Watched } from "../security/helpers.ts";

const IDENTITY = join(REPO, "bench", "fixtures", "identity");
const ENV = "ident";
const PATH = `/v1/invoke/${ENV}/identity`;
const HEADERS_TIMEOUT_MS = 500;
const STALLED_RESPONSE_MS = 1000;
/** The trickled body's deadline (asked for per request); everything else gets all the time a busy machine needs. */
const DEADLINE_MS = 800;

let store: Store;
let host: Watched;

const metrics = async () => (await fetch(`${host.base}/metrics`)).text();
const events = async (event: string) => metricValue(await metrics(), "vial_client_events_total", { event });
const buffered = async () => metricValue(await metrics(), "vial_buffered_bytes");
const servesOthers = async () => (await host.invoke(ENV, "identity", [{ id: 1, text: "meanwhile" }])).status === 200;

/** A raw connection; resolves with everything the host sent once it closes. */
function rawConnection(): { socket: Socket; received: Promise<string> } {
  const url = new URL(host.base);
  const socket = connect(Number(url.port), url.hostname);
  socket.on("error", () => undefined);
  const received = new Promise<string>((resolve) => {
    let data = "";
    socket.on("data", (chunk) => (data += chunk.toString("latin1")));
    socket.on("close", () => resolve(data));
  });
  return { socket, received };
}

beforeAll(async () => {
  store = await tempStore();
  await deployModule(store, ENV, join(IDENTITY, "package.json"), join(IDENTITY, "features.ts"));
  host = await watchedHost(store, { headersTimeoutMs: HEADERS_TIMEOUT_MS, stalledResponseMs: STALLED_RESPONSE_MS, pool: { size: 2, deadlineMs: 60_000 } });
}, 300_000);

afterAll(async () => {
  await host?.close();
  if (store) await rm(store.root, { recursive: true, force: true });
});

describe("slow and broken clients", () => {
  it("cuts off headers that trickle in (408) and serves others meanwhile", async () => {
    const before = await events("slow_headers");
    const { socket, received } = rawConnection();
    socket.write(`POST ${PATH} HTTP/1.1\r\nhost: x\r\n`);
    const drip = setInterval(() => socket.write("x-slow: 1\r\n"), 100);
    expect(await servesOthers()).toBe(true);
    const answer = await received;
    clearInterval(drip);
    expect(answer).toMatch(/^HTTP\/1\.1 408 /);
    expect(await events("slow_headers")).toBe(before + 1);
  });

  it("answers a body that trickles past the deadline with 504 and closes its connection", async () => {
    const before = await events("slow_body");
    const body = JSON.stringify({ rows: [{ id: 1, text: "slow" }] });
    const { socket, received } = rawConnection();
    socket.write(`POST ${PATH} HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\nx-vial-deadline-ms: ${DEADLINE_MS}\r\ncontent-length: ${body.length}\r\n\r\n${body.slice(0, 5)}`);
    let sent = 5;
    const drip = setInterval(() => sent < body.length - 1 && socket.write(body[sent++]!), 200);
    expect(await servesOthers()).toBe(true);
    const answer = await received;
    clearInterval(drip);
    expect(answer).toMatch(/^HTTP\/1\.1 504 /);
    expect(answer).toMatch(/connection: close/i);
    expect(answer).toContain("the request body had not arrived when its");
    expect(await events("slow_body")).toBe(before + 1);
    await eventually(async () => (await buffered()) === 0);
  });

  it("drops an answer its client does not read, and gives its bytes back", async () => {
    const before = await events("stalled_response");
    const rows = Array.from({ length: 60_000 }, (_, i) => ({ id: i, text: `an answer too large for the socket's buffers ${i}` }));
    const body = JSON.stringify({ rows });
    const { socket, received } = rawConnection();
    socket.write(`POST ${PATH} HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n`);
    socket.write(body);
    // Read nothing: the answer (a few MB) fills the socket and waits.
    socket.pause();
    await eventually(async () => (await events("stalled_response")) === before + 1, 100);
    socket.resume();
    await received;
    await eventually(async () => (await buffered()) === 0);
    expect(await servesOthers()).toBe(true);
  });

  it("notices a client that resets half-way through its body, gives its bytes back and serves on", async () => {
    const { socket, received } = rawConnection();
    socket.write(`POST ${PATH} HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n`);
    socket.write(`4000\r\n${"x".repeat(0x4000)}\r\n`);
    await eventually(async () => (await buffered()) > 0);
    socket.resetAndDestroy();
    await received;
    await eventually(async () => (await buffered()) === 0);
    expect(await servesOthers()).toBe(true);
  });
});
