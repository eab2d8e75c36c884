/**
 * The HTTP API under random and malformed input (fast-check): bodies that are
 * not JSON or CBOR, valid ones of the wrong shape, truncated ones, strange
 * content types, headers and paths, oversized bodies and headers, and clients
 * that send slowly or stop. Every request must get a well-formed answer (the
 * guest's own or a 4xx), the host must keep serving, and its resident memory
 * must stay within a bound over thousands of cases.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { rm } from "node:fs/promises";
import { connect, type Socket } from "node:net";
import { join } from "node:path";
import fc from "fast-check";
import type { Store } from "../../builds/store.ts";
import { deployModule, tempStore } from "../host/helpers.ts";
import { cbor, processFootprint, SECURITY_FIXTURES, watchedHost, wellFormedAnswer, type Answer, type Watched } from "./helpers.ts";

/** Statuses the API may answer a caller's mistake with; 5xx would mean the host failed. */
const CALLER_ERRORS = new Set([400, 401, 404, 413, 415]);
/** RSS growth allowed over the measured run, after a warm-up (the whole process: host, test and fast-check). */
const RSS_BOUND_BYTES = 150 * 2 ** 20;

let store: Store;
let host: Watched;
const figures = { cases: 0, failures: 0, rssGrowthMiB: 0, rawSocketCases: 0 };

const printable = fc.stringMatching(/^[\x20-\x7e]{0,40}$/);
const wildString = fc.oneof(fc.string(), fc.string({ unit: "binary" }), fc.string({ unit: "grapheme" }));
/** Rows near the echo function's schema ({text: string, count: int64, data?: bytes}), often off by one field. */
const nearRow = fc.record(
  {
    text: fc.oneof(wildString, fc.jsonValue()),
    count: fc.oneof(fc.integer(), fc.maxSafeInteger(), fc.double(), fc.bigInt().map(String), fc.jsonValue()),
    data: fc.option(fc.oneof(fc.base64String(), wildString, fc.jsonValue())),
    fail: fc.option(fc.boolean()),
  },
  { requiredKeys: [] },
);
const rowsBody = fc.record({ rows: fc.array(fc.oneof(nearRow, fc.jsonValue()), { maxLength: 20 }) });
const anyBody = fc.oneof(rowsBody, fc.jsonValue(), fc.record({ rows: fc.jsonValue() }));

/** One call; true when the answer is one the API allows (the fuzz property). */
async function acceptable(answer: Answer): Promise<boolean> {
  figures.cases++;
  const described = typeof answer.value?.error?.code === "string" && typeof answer.value?.error?.message === "string";
  const ok =
    (answer.status === 200 && Array.isArray(answer.value?.rows) && Array.isArray(answer.value?.errors)) ||
    (CALLER_ERRORS.has(answer.status) && described) ||
    // A caller's own tiny deadline (x-vial-deadline-ms: 1) is honoured: the call is stopped, not failed by the host.
    (answer.status === 504 && answer.value?.error?.code === "deadline_exceeded" && described);
  if (!ok || !wellFormedAnswer(answer)) figures.failures++;
  return ok && wellFormedAnswer(answer);
}

const ECHO = "/v1/invoke/fuzz/echo";
const wellFormed = (s: string) => (s as string & { toWellFormed(): string }).toWellFormed();
const runs = (numRuns: number) => ({ numRuns, interruptAfterTimeLimit: 120_000 });

/** Sends raw bytes on a socket; resolves with whatever came back by the time the server closed it or `until` matched. */
function rawExchange(send: (socket: Socket) => void, until: RegExp = /\r\n\r\n[\s\S]*\}$/): Promise<string> {
  return new Promise((resolve) => {
    const url = new URL(host.base);
    const socket = connect(Number(url.port), url.hostname);
    let received = "";
    socket.on("data", (chunk) => {
      received += chunk.toString("latin1");
      if (until.test(received)) socket.destroy();
    });
    socket.on("error", () => undefined);
    socket.on("close", () => resolve(received));
    socket.on("connect", () => send(socket));
  });
}

beforeAll(async () => {
  store = await tempStore();
  await deployModule(store, "fuzz", join(SECURITY_FIXTURES, "package.json"), join(SECURITY_FIXTURES, "abuse.ts"));
  host = await watchedHost(store, { pool: { size: 2, deadlineMs: 10_000 }, bodyLimitBytes: 256 * 1024 });
  // Responses are kept for leak searches elsewhere; here they would only grow the heap being measured.
  host.answers.length = 0;
});

afterAll(async () => {
  console.log(`[vial-figures] fuzz ${JSON.stringify(figures)}`);
  await host?.close();
  if (store) await rm(store.root, { recursive: true, force: true });
});

const forget = <T extends Answer>(answer: T): T => {
  host.answers.length = 0;
  host.logs.length = 0;
  return answer;
};

describe("fuzzing the HTTP API", () => {
  let startRss = 0;

  it("warms up, then notes the resident memory", async () => {
    await fc.assert(fc.asyncProperty(rowsBody, async (body) => acceptable(forget(await host.post(ECHO, body)))), runs(200));
    startRss = (await processFootprint()).rssBytes;
  });

  it("answers random JSON documents and near-miss rows (JSON)", async () => {
    await fc.assert(fc.asyncProperty(anyBody, async (body) => acceptable(forget(await host.post(ECHO, JSON.stringify(body))))), runs(900));
  });

  it("answers random values and near-miss rows encoded as CBOR", async () => {
    const cborValue = fc.oneof(rowsBody, fc.anything({ withBigInt: true, withNullPrototype: true, withTypedArray: true, withSparseArray: true }));
    await fc.assert(
      fc.asyncProperty(cborValue, async (value) => acceptable(forget(await host.post(ECHO, new Uint8Array(cbor.encode(value)), { format: "cbor" })))),
      runs(700),
    );
  });

  it("answers random bytes sent as JSON and as CBOR", async () => {
    const bytes = fc.uint8Array({ maxLength: 300 });
    await fc.assert(
      fc.asyncProperty(bytes, fc.constantFrom("json" as const, "cbor" as const), async (body, format) => acceptable(forget(await host.post(ECHO, body, { format })))),
      runs(600),
    );
  });

  it("answers truncated JSON and CBOR bodies", async () => {
    await fc.assert(
      fc.asyncProperty(rowsBody, fc.nat(), fc.constantFrom("json" as const, "cbor" as const), async (body, cut, format) => {
        const full = format === "json" ? Buffer.from(JSON.stringify(body)) : Buffer.from(cbor.encode(body));
        return acceptable(forget(await host.post(ECHO, new Uint8Array(full.subarray(0, cut % full.length)), { format })));
      }),
      runs(400),
    );
  });

  it("answers strange content types, deadlines, request ids and tokens", async () => {
    const types = fc.oneof(printable, fc.constantFrom("text/plain", "application/json; charset=utf-16", "APPLICATION/CBOR", "multipart/form-data; boundary=x", ";", "application/cbor+json"));
    await fc.assert(
      fc.asyncProperty(types, printable, printable, fc.option(printable), async (type, deadline, id, token) => {
        const headers: Record<string, string> = { "content-type": type, "x-vial-deadline-ms": deadline, "x-request-id": id };
        if (token !== null) headers.authorization = `Bearer ${token}`;
        const answer = forget(await host.post(ECHO, JSON.stringify({ rows: [{ text: "t", count: 1 }] }), { headers }));
        return (await acceptable(answer)) && (answer.headers["x-request-id"]?.length ?? 0) <= 128;
      }),
      runs(300),
    );
  });

  it("answers random environment and function names", async () => {
    await fc.assert(
      fc.asyncProperty(wildString, wildString, async (env, fn) => {
        const path = `/v1/invoke/${encodeURIComponent(wellFormed(env))}/${encodeURIComponent(wellFormed(fn))}`;
        return acceptable(forget(await host.post(path, JSON.stringify({ rows: [] }))));
      }),
      runs(200),
    );
  });

  it("kept its resident memory within the bound", async () => {
    const growth = (await processFootprint()).rssBytes - startRss;
    figures.rssGrowthMiB = Math.round(growth / 2 ** 20);
    expect(figures.failures).toBe(0);
    expect(growth).toBeLessThan(RSS_BOUND_BYTES);
  });
});

describe("oversized and slow requests", () => {
  it("answers 413 to a body over the limit, with or without a content-length", async () => {
    const limit = host.serving.host.config.bodyLimitBytes;
    const sized = await host.post(ECHO, JSON.stringify({ rows: [{ text: "x".repeat(limit), count: 1 }] }));
    expect(sized.status).toBe(413);
    // The unread rest of the body makes the connection unusable: the host closes it rather than let the next request fail.
    expect(sized.headers.connection).toBe("close");
    const chunks = [Buffer.from('{"rows": [{"text": "'), Buffer.alloc(limit, 0x78), Buffer.from('", "count": 1}]}')];
    const streamed = await fetch(host.base + ECHO, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: new ReadableStream({ pull: (c) => void (chunks.length ? c.enqueue(chunks.shift()!) : c.close()) }),
      duplex: "half",
    } as RequestInit);
    expect(streamed.status).toBe(413);
    expect(((await streamed.json()) as { error: { code: string } }).error.code).toBe("body_too_large");
    figures.cases += 2;
  });

  it("answers oversized headers with 431 and a garbage request line with 400", async () => {
    const huge = await rawExchange((s) => s.write(`POST ${ECHO} HTTP/1.1\r\nhost: x\r\nx-big: ${"a".repeat(64 * 1024)}\r\n\r\n`), /\r\n\r\n/);
    expect(huge).toMatch(/^HTTP\/1\.1 431 /);
    const garbage = await rawExchange((s) => s.write("\x00\x01GARBAGE /\r\n\r\n"), /\r\n\r\n/);
    expect(garbage).toMatch(/^HTTP\/1\.1 400 /);
    figures.rawSocketCases += 2;
  });

  it("serves everyone else while one client dribbles its body, then answers it too", async () => {
    const body = JSON.stringify({ rows: [{ text: "slow", count: 41 }] });
    const dribbled = rawExchange((socket) => {
      socket.write(`POST ${ECHO} HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: ${body.length}\r\nconnection: close\r\n\r\n`);
      let i = 0;
      const next = () => {
        if (i < body.length) socket.write(body[i++]!, () => void setTimeout(next, 5));
      };
      next();
    });
    const others = await Promise.all(Array.from({ length: 20 }, (_, i) => host.post(ECHO, { rows: [{ text: "fast", count: i }] })));
    expect(others.map((a) => a.status)).toEqual(others.map(() => 200));
    const answer = await dribbled;
    expect(answer).toMatch(/^HTTP\/1\.1 200 /);
    expect(answer).toContain('{"rows":[{"text":"slow","count":42,"data":null}],"errors":[]}');
    figures.rawSocketCases++;
  });

  it("serves everyone else while clients stall mid-headers and mid-body, and is fine when they leave", async () => {
    const stalled: Socket[] = [];
    const url = new URL(host.base);
    for (const partial of [`POST ${ECHO} HTTP/1.1\r\nhost: x\r\ncontent-le`, `POST ${ECHO} HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: 100\r\n\r\n{"rows": [`]) {
      const socket = connect(Number(url.port), url.hostname, () => socket.write(partial));
      socket.on("error", () => undefined);
      stalled.push(socket);
    }
    const others = await Promise.all(Array.from({ length: 20 }, (_, i) => host.post(ECHO, { rows: [{ text: "fast", count: i }] })));
    expect(others.map((a) => a.status)).toEqual(others.map(() => 200));
    for (const socket of stalled) socket.destroy();
    // A client that sends half its body and then closes its side gets no 5xx (an answer or a closed connection).
    const halfClosed = await rawExchange((s) => s.end(`POST ${ECHO} HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: 100\r\n\r\n{"rows": [`));
    expect(halfClosed).not.toMatch(/^HTTP\/1\.1 5/);
    expect((await host.post(ECHO, { rows: [{ text: "after", count: 1 }] })).status).toBe(200);
    figures.rawSocketCases += 3;
  });
});
