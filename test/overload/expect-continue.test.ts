/**
 * A client that sends `Expect: 100-continue` holds its body back until the
 * host says to go on: the host says so only once the request is admitted,
 * so a request the environment cannot take is answered 503 before a byte
 * of its body is sent, and the connection closes (as after any answer given
 * before the body was asked for).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connect } from "node:net";
import { join } from "node:path";
import { rm } from "node:fs/promises";
import type { Store } from "../../builds/store.ts";
import { deployModule, REPO, tempStore } from "../host/helpers.ts";
import { watchedHost, type Watched } from "../security/helpers.ts";

const IDENTITY = join(REPO, "bench", "fixtures", "identity");
const ENV = "ident";
/** What one environment may hold of request bodies: less than the large request declares. */
const ENVIRONMENT_BYTES = 2 ** 20;

let store: Store;
let host: Watched;

/**
 * Sends the headers of a POST that waits for "100 Continue", and the body only if it comes; resolves with
 * everything the host sent once the connection closes, and whether the body was sent.
 */
function postWaitingForContinue(body: string, declared = Buffer.byteLength(body), env = ENV): Promise<{ received: string; bodySent: boolean }> {
  const url = new URL(host.base);
  const socket = connect(Number(url.port), url.hostname);
  socket.on("error", () => undefined);
  let bodySent = false;
  let received = "";
  socket.write(
    `POST /v1/invoke/${env}/identity HTTP/1.1\r\nhost: ${url.host}\r\ncontent-type: application/json\r\ncontent-length: ${declared}\r\nexpect: 100-continue\r\nconnection: close\r\n\r\n`,
  );
  socket.on("data", (chunk) => {
    received += chunk.toString("latin1");
    if (!bodySent && received.startsWith("HTTP/1.1 100 Continue\r\n\r\n")) {
      bodySent = true;
      socket.write(body);
    }
  });
  return new Promise((resolve) => socket.on("close", () => resolve({ received, bodySent })));
}

beforeAll(async () => {
  store = await tempStore();
  await deployModule(store, ENV, join(IDENTITY, "package.json"), join(IDENTITY, "features.ts"));
  host = await watchedHost(store, { environmentBufferLimitBytes: ENVIRONMENT_BYTES, pool: { size: 1 } });
}, 300_000);

afterAll(async () => {
  await host?.close();
  if (store) await rm(store.root, { recursive: true, force: true });
});

describe("Expect: 100-continue", () => {
  it("lets an admitted request's body come, and answers it", async () => {
    const { received, bodySent } = await postWaitingForContinue(JSON.stringify({ rows: [{ id: 7, text: "waited" }] }));
    expect(bodySent).toBe(true);
    const answer = received.slice("HTTP/1.1 100 Continue\r\n\r\n".length);
    expect(answer).toMatch(/^HTTP\/1\.1 200 /);
    expect(answer).toContain('"text":"waited"');
  });

  it("refuses a request the environment has no room for before its body is sent", async () => {
    const { received, bodySent } = await postWaitingForContinue("x".repeat(2 * ENVIRONMENT_BYTES));
    expect(bodySent).toBe(false);
    expect(received).toMatch(/^HTTP\/1\.1 503 /);
    expect(received).toMatch(/\r\nretry-after: \d+\r\n/i);
    expect(received).toMatch(/\r\nconnection: close\r\n/i);
    // The host serves on.
    expect((await host.invoke(ENV, "identity", [{ id: 1, text: "after" }])).status).toBe(200);
  });

  it("closes the connection after any other answer given before the body was asked for", async () => {
    const { received, bodySent } = await postWaitingForContinue(JSON.stringify({ rows: [] }), undefined, "nothere");
    expect(bodySent).toBe(false);
    expect(received).toMatch(/^HTTP\/1\.1 404 /);
    expect(received).toMatch(/\r\nconnection: close\r\n/i);
  });
});
