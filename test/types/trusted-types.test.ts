/**
 * The trusted side of the field's types, through a real host on loopback serving a JS environment (V8): what the
 * executor makes of what callers send (timestamps in any zone, CBOR dates, NaN and ±Infinity, structs with keys
 * nobody declared) before the function sees it, what it answers (canonical timestamps, non-finite numbers as null,
 * as text on request or as CBOR floats, bytes nested in structs as byte strings), what it refuses (a 400 naming the
 * row and the field), and the output keys a function returns without declaring them, counted per function.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { rm } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Tag } from "cbor-x";
import type { Store } from "../../builds/store.ts";
import { deployModule, metricValue, tempStore } from "../host/helpers.ts";
import { watchedHost, type Answer, type Watched } from "../security/helpers.ts";

const FIXTURES = fileURLToPath(new URL("./fixtures/", import.meta.url));
const ENV = "trusted";

let store: Store;
let host: Watched;

beforeAll(async () => {
  store = await tempStore();
  await deployModule(store, ENV, join(FIXTURES, "package.json"), join(FIXTURES, "trusted.ts"));
  host = await watchedHost(store, { pool: { size: 1, deadlineMs: 30_000 } });
}, 300_000);

afterAll(async () => {
  await host?.close();
  if (store) await rm(store.root, { recursive: true, force: true });
});

const call = (fn: string, rows: unknown[], format: "json" | "cbor" = "json", headers: Record<string, string> = {}) =>
  host.post(`/v1/invoke/${ENV}/${fn}`, { rows }, { format, headers });

function expectRefused(answer: Answer, message: string): void {
  expect(answer.status).toBe(400);
  expect(answer.value.error.message).toBe(`${message} (rows must match the function's input schema: GET /v1/environments)`);
}

describe("timestamps", () => {
  const canonical = "2026-12-06T20:34:49.123000Z";

  it("reach the function as the same instant from RFC 3339 in any zone or a CBOR date, and are answered canonical", async () => {
    const texts = ["2026-12-06T21:34:49.123+01:00", "2026-12-06T15:04:49.123456-05:30", "2026-12-06t20:34:49.123z"];
    const json = await call("when", texts.map((at) => ({ at, later: [at] })));
    expect(json.status).toBe(200);
    expect(json.value.rows).toEqual(texts.map(() => ({ at: canonical, later: [canonical], seen: "2026-12-06T20:34:49.123Z" })));
    const date = new Date(Date.parse(canonical));
    const tagged = await call("when", [{ at: date }, { at: new Tag("2026-12-06T21:34:49.123+01:00", 0) }], "cbor");
    expect(tagged.status).toBe(200);
    expect(tagged.value.rows).toEqual([
      { at: canonical, later: null, seen: "2026-12-06T20:34:49.123Z" },
      { at: canonical, later: null, seen: "2026-12-06T20:34:49.123Z" },
    ]);
  });

  it("are refused without a zone or outside years 0001-9999, naming the row and the field, in both formats", async () => {
    const problem = "expected a timestamp (RFC 3339 text with a time zone, years 0001-9999)";
    expectRefused(await call("when", [{ at: canonical }, { at: "2026-12-06T20:34:49" }]), `row 1: field 'at': ${problem}`);
    expectRefused(await call("when", [{ at: canonical, later: [canonical, "10000-01-01T00:00:00Z"] }]), `row 0: field 'later[1]': ${problem}`);
    expectRefused(await call("when", [{ at: new Tag("2026-12-06", 0) }], "cbor"), `row 0: field 'at': ${problem}`);
  });

  it("as CBOR dates are refused by name in a field of another type", async () => {
    expectRefused(await call("ratio", [{ a: 1, b: new Date(0) }], "cbor"), "row 0: field 'b': expected float64, got a date");
    const around = await call("ratio", [{ a: 1, b: new Tag("1765053289", 1) }], "cbor");
    expect(around.status).toBe(400);
    expect(around.value.error.message).toMatch(/^body uses CBOR tag 1 at byte \d+ around something other than a number of seconds since the epoch/);
  });
});

describe("NaN and ±Infinity", () => {
  const rows = [
    { a: 0, b: 0 },
    { a: 1, b: 0 },
    { a: "-Infinity", b: 2 },
    { a: 1, b: 3 },
  ];

  it("are answered as null in JSON by default, as text when the caller asks, and as floats in CBOR", async () => {
    const byDefault = await call("ratio", rows);
    expect(byDefault.status).toBe(200);
    expect(byDefault.value.rows).toEqual([
      { ratio: null, ratio32: null, b32: 0 },
      { ratio: null, ratio32: null, b32: 0 },
      { ratio: null, ratio32: null, b32: 2 },
      { ratio: 1 / 3, ratio32: Math.fround(1 / 3), b32: 3 },
    ]);
    const asText = await call("ratio", rows, "json", { "x-vial-non-finite": "string" });
    expect(asText.value.rows.map((r: { ratio: unknown }) => r.ratio)).toEqual(["NaN", "Infinity", "-Infinity", 1 / 3]);
    expect((await call("ratio", rows, "json", { "x-vial-non-finite": "null" })).bytes).toEqual(byDefault.bytes);
    const floats = await call("ratio", [{ a: NaN, b: 1 }, { a: Infinity, b: 1 }, ...rows], "cbor", { "x-vial-non-finite": "string" });
    expect(floats.value.rows.map((r: { ratio32: unknown }) => r.ratio32)).toEqual([NaN, Infinity, NaN, Infinity, -Infinity, Math.fround(1 / 3)]);
  });

  it("are refused where the schema does not allow them, and so is a header value the host does not know", async () => {
    expectRefused(await call("ratio", [{ a: 1, b: "NaN" }]), "row 0: field 'b': expected float64, got string");
    expectRefused(await call("ratio", [{ a: 1, b: Infinity }], "cbor"), "row 0: field 'b': expected a finite float64, got Infinity");
    const unknown = await call("ratio", rows, "json", { "x-vial-non-finite": "text" });
    expect(unknown.status).toBe(400);
    expect(unknown.value.error.message).toBe("x-vial-non-finite must be 'null' or 'string', got 'text'");
  });
});

describe("structs", () => {
  const request = { amount: 0.1, at: "2026-12-06T21:34:49.5+01:00", raw: "AQI=", tags: { a: 1 }, secret: "not declared" };

  it("reach the function with their declared fields only, float32 rounded, and bytes come back as byte strings in CBOR", async () => {
    const reading = { amount: Math.fround(0.1), at: "2026-12-06T20:34:49.500000Z", raw: "AQI=", tags: { a: 1 } };
    const json = await call("nested", [{ request, history: [request, { ...request, tags: {} }] }]);
    expect(json.status).toBe(200);
    expect(json.value.rows).toEqual([{ request: reading, history: [reading, { ...reading, tags: {} }], keys: ["amount", "at", "raw", "tags"] }]);
    const binary = await call("nested", [{ request: { ...request, raw: new Uint8Array([1, 2]) }, history: [] }], "cbor");
    expect(binary.status).toBe(200);
    expect(binary.value.rows[0].request.raw).toBeInstanceOf(Uint8Array);
    expect([...binary.value.rows[0].request.raw]).toEqual([1, 2]);
  });

  it("say which field inside them is missing or wrong", async () => {
    const { at: _at, ...withoutAt } = request;
    expectRefused(await call("nested", [{ request, history: [request, withoutAt] }]), "row 0: field 'history[1].at': missing");
    expectRefused(await call("nested", [{ request: { ...request, tags: { a: 2 ** 31 } }, history: [] }]), `row 0: field 'request.tags["a"]': expected int32, got number (outside -2^31..2^31-1)`);
  });
});

describe("undeclared output keys", () => {
  it("are dropped from the answer and counted per function", async () => {
    const metrics = async () => metricValue(await (await fetch(`${host.base}/metrics`)).text(), "vial_undeclared_output_keys_total", { env: ENV, function: "extra_keys" });
    const before = await metrics();
    const answer = await call("extra_keys", [{ extra: 0 }, { extra: 3 }, { extra: 2 }]);
    expect(answer.status).toBe(200);
    expect(answer.value.rows).toEqual([{ kept: 0 }, { kept: 3 }, { kept: 2 }]);
    expect((await metrics()) - before).toBe(5);
    await call("extra_keys", [{ extra: 2000 }], "cbor");
    expect((await metrics()) - before).toBe(5 + 1024);
  });
});
