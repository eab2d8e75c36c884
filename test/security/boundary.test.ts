/**
 * What crosses the boundary, both ways, when one side is hostile: guest
 * outputs shaped to pollute the host's prototypes, crafted envelopes, lone
 * surrogates, deeply nested or huge inputs, state left behind in globals,
 * and guests that loop, recurse, allocate or answer without end.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { rm } from "node:fs/promises";
import { join } from "node:path";
import type { Store } from "../../builds/store.ts";
import { deployModule, eventually, metricValue, tempStore } from "../host/helpers.ts";
import { cbor, publishCopy, SECURITY_FIXTURES, watchedHost, wellFormedAnswer, type Answer, type Watched } from "./helpers.ts";

const OUTPUT_LIMIT = 2 ** 20;
let store: Store;
let host: Watched;

const polluted = () => ({}) as Record<string, unknown>;
const idle = async (env: string) => metricValue(await host.serving.host.metrics.registry.metrics(), "vial_instances", { env, state: "idle" }) === 1;
const healthy = async () => {
  const answer = await host.invoke("abuse", "echo", [{ text: "still here", count: 1 }]);
  return answer.status === 200 && answer.value.rows[0].count === 2;
};
/** The guest hands back `envelope` verbatim. */
const raw = (envelope: string, format: "json" | "cbor" = "json") => host.invoke("abuse", "raw", [{ envelope }], format);

beforeAll(async () => {
  store = await tempStore();
  await deployModule(store, "abuse", join(SECURITY_FIXTURES, "package.json"), join(SECURITY_FIXTURES, "abuse.ts"));
  await publishCopy(store, "abuse", "tenant-b");
  host = await watchedHost(store, {
    pool: { size: 1, deadlineMs: 60_000, memoryMiB: 64, outputLimitBytes: OUTPUT_LIMIT },
  });
});

afterAll(async () => {
  await host?.close();
  if (store) await rm(store.root, { recursive: true, force: true });
});

describe("prototype pollution from returned data", () => {
  const PROTO_ENVELOPE = JSON.stringify({
    rows: [JSON.parse('{"__proto__": {"polluted": "yes", "deep": {"__proto__": {"polluted": "deep"}}}, "constructor": {"prototype": {"polluted": "yes"}}, "text": "t"}')],
    errors: [JSON.parse('{"row": 0, "error": "e", "__proto__": {"polluted": "yes"}, "constructor": {"prototype": {"polluted": "yes"}}}'), { row: 7, error: "a row that does not exist" }],
    logs: [JSON.parse('{"__proto__": {"polluted": "yes"}}')],
  });
  for (const format of ["json", "cbor"] as const) {
    it(`keeps only declared fields of rows a guest built with __proto__/constructor keys (${format})`, async () => {
      const answer = await host.invoke("abuse", "pollute", [{ text: "a" }], format);
      expect(answer.status).toBe(200);
      // The guest polluted its own realm only: it sees the value, the host does not.
      expect(answer.value).toEqual({ rows: [{ text: "a:by the guest" }], errors: [] });
      expect(answer.bytes.toString("latin1")).not.toMatch(/__proto__|constructor|prototype/);
      expect(polluted().polluted).toBeUndefined();
    });

    it(`drops __proto__/constructor keys, undeclared error fields and phantom rows from a crafted envelope (${format})`, async () => {
      // The envelope really carries the keys (JSON.stringify keeps an own "__proto__").
      expect(PROTO_ENVELOPE).toContain('"__proto__":{"polluted":"yes"');
      const answer = await raw(PROTO_ENVELOPE, format);
      expect(answer.status).toBe(200);
      expect(answer.value).toEqual({ rows: [{ text: "t" }], errors: [{ row: 0, error: "e" }] });
      expect(answer.bytes.toString("latin1")).not.toMatch(/__proto__|constructor|polluted/);
      expect(polluted().polluted).toBeUndefined();
    });
  }

  it("returns plain objects to an in-process caller, with Object.prototype untouched", async () => {
    const direct = await host.serving.host.invoke("abuse", "raw", [{ envelope: PROTO_ENVELOPE }]);
    expect(direct).toEqual({ rows: [{ text: "t" }], errors: [{ row: 0, error: "e" }] });
    expect(Object.getPrototypeOf(direct.rows[0])).toBe(Object.prototype);
    expect(Object.keys(direct.errors[0]!)).toEqual(["row", "error"]);
    const guestBuilt = await host.serving.host.invoke("abuse", "pollute", [{ text: "b" }]);
    expect(Object.keys(guestBuilt.rows[0]!)).toEqual(["text"]);
    expect(polluted().polluted).toBeUndefined();
    expect(Object.hasOwn(Object.prototype, "polluted")).toBe(false);
  });

  it("ignores __proto__ keys in request bodies (JSON and CBOR)", async () => {
    const body = '{"__proto__": {"polluted": "in"}, "rows": [{"text": "x", "count": 1, "__proto__": {"polluted": "in"}, "constructor": {"prototype": {"polluted": "in"}}}]}';
    const json = await host.post("/v1/invoke/abuse/echo", body);
    expect(json.value).toEqual({ rows: [{ text: "x", count: 2, data: null }], errors: [] });
    const cborBody = new Uint8Array(cbor.encode(JSON.parse(body)));
    const binary = await host.post("/v1/invoke/abuse/echo", cborBody, { format: "cbor" });
    expect(binary.value).toEqual({ rows: [{ text: "x", count: 2, data: null }], errors: [] });
    expect(polluted().polluted).toBeUndefined();
  });
});

describe("strings that are not well-formed", () => {
  const expectWellFormed = (answer: Answer) => {
    expect(answer.status).toBe(200);
    expect(wellFormedAnswer(answer)).toBe(true);
  };

  it("answers well-formed JSON to JSON input holding lone surrogates", async () => {
    const answer = await host.post("/v1/invoke/abuse/text", '{"rows": [{"text": "a\\ud800b\\udfff"}]}');
    expectWellFormed(answer);
    expect(answer.value.rows[0]).toEqual({ text: "a\ufffdb\ufffd", units: 4 });
  });

  it("answers well-formed CBOR to CBOR text holding encoded surrogates and invalid UTF-8", async () => {
    // {"rows": [{"text": <"a" ED A0 80 FF "b">}]}: a surrogate encoded as UTF-8, then a byte no UTF-8 has.
    const body = Buffer.concat([Buffer.from("a164726f777381a1647465787466", "hex"), Buffer.from("61eda080ff62", "hex")]);
    const answer = await host.post("/v1/invoke/abuse/text", new Uint8Array(body), { format: "cbor" });
    expectWellFormed(answer);
    expect(answer.value.rows[0].text).toMatch(/^a\ufffd+b$/);
  });

  for (const format of ["json", "cbor"] as const) {
    it(`answers well-formed ${format} when the guest returns lone surrogates`, async () => {
      const made = await host.invoke("abuse", "text", [{ text: "z", lone: true }], format);
      expectWellFormed(made);
      expect(made.value.rows[0].text).toBe("z\ufffdx\ufffd");
      const crafted = await raw('{"rows": [{"text": "\\udc00\\ud800"}], "errors": [{"row": 0, "error": "\\ud800"}]}', format);
      expectWellFormed(crafted);
      expect(crafted.value).toEqual({ rows: [{ text: "\ufffd\ufffd" }], errors: [{ row: 0, error: "\ufffd" }] });
    });
  }
});

describe("results that break the interface", () => {
  it("fails a batch handler that returns the wrong number of rows with the guest's 422", async () => {
    const answer = await host.invoke("abuse", "miscount", [{ returned: 3 }]);
    expect(answer.status).toBe(422);
    expect(answer.value.error.message).toContain("batchHandler returned 3 rows for 1 input rows");
  });

  it("refuses an envelope with the wrong number of rows, not JSON, or without rows and errors (500)", async () => {
    const cases: Array<[string, string]> = [
      ['{"rows": [null, null], "errors": []}', "returned 2 rows for 1"],
      ["{not json", "returned a result that is not JSON"],
      ["null", 'without "rows" and "errors" arrays'],
      ['{"rows": "many", "errors": []}', 'without "rows" and "errors" arrays'],
    ];
    for (const [envelope, message] of cases) {
      const answer = await raw(envelope);
      expect(answer.status).toBe(500);
      expect(answer.value.error).toMatchObject({ code: "guest_trap" });
      expect(answer.value.error.message).toContain(message);
    }
  });

  it("turns rows of the wrong type (including 10,000-deep arrays) into that row's error", async () => {
    const deep = "[".repeat(10_000) + "]".repeat(10_000);
    for (const [row, problem] of [
      ['{"text": 5}', "output field 'text': expected string, got number"],
      ['"a string"', "output expected an object, got string"],
      [`{"text": ${deep}}`, "output field 'text': expected string, got array"],
    ]) {
      const answer = await raw(`{"rows": [${row}], "errors": []}`);
      expect(answer.status).toBe(200);
      expect(answer.value).toEqual({ rows: [null], errors: [{ row: 0, error: problem }] });
    }
  });
});

describe("very large and deeply nested inputs", () => {
  it("answers 10,000- and 1,000,000-deep JSON arrays with a 400 naming the row", async () => {
    for (const depth of [10_000, 1_000_000]) {
      const deep = "[".repeat(depth) + "]".repeat(depth);
      for (const body of [`{"rows": ${deep}}`, `{"rows": [{"text": ${deep}, "count": 1}]}`]) {
        const answer = await host.post("/v1/invoke/abuse/echo", body);
        expect(answer.status).toBe(400);
        expect(answer.value.error.code).toBe("invalid_row");
      }
    }
  });

  it("answers a 10,000-deep CBOR array with a 400 saying it nests too deeply", async () => {
    // {"rows": [[[...]]]}: 0x81 opens an array of one item.
    const body = Buffer.concat([Buffer.from("a164726f7773", "hex"), Buffer.alloc(10_000, 0x81), Buffer.from([0x80])]);
    const answer = await host.post("/v1/invoke/abuse/echo", new Uint8Array(body), { format: "cbor" });
    expect(answer.status).toBe(400);
    expect(answer.value.error).toEqual({ code: "bad_request", message: "body is not valid CBOR: it is nested too deeply (at most 256 levels)" });
  });

  it("serves a batch of 20,000 rows just like a small one", async () => {
    const rows = Array.from({ length: 20_000 }, (_, i) => ({ text: `row ${i}`, count: i }));
    const answer = await host.invoke("abuse", "echo", rows, "cbor");
    expect(answer.status).toBe(200);
    expect(answer.value.rows).toHaveLength(20_000);
    expect(answer.value.rows[19_999]).toEqual({ text: "row 19999", count: 20_000, data: null });
  });
});

describe("instance reuse", () => {
  it("keeps globals across calls on the same instance of one environment (documented)", async () => {
    await host.invoke("abuse", "remember", [{ secret: "tenant-a-secret" }]);
    const answer = await host.invoke("abuse", "recall", [{}]);
    expect(answer.value.rows[0]).toEqual({ secret: "tenant-a-secret" });
  });

  it("never shows one environment's leftovers to another, even running the same code", async () => {
    const answer = await host.invoke("tenant-b", "recall", [{}]);
    expect(answer.value.rows[0]).toEqual({ secret: null });
    expect(answer.bytes.toString()).not.toContain("tenant-a-secret");
  });

  it("starts a replaced instance from the build snapshot: nothing of earlier requests survives", async () => {
    const stopped = await host.post("/v1/invoke/abuse/spin", { rows: [{ text: "x" }] }, { headers: { "x-vial-deadline-ms": "300" } });
    expect(stopped.status).toBe(504);
    await eventually(() => idle("abuse"));
    expect((await host.invoke("abuse", "recall", [{}])).value.rows[0]).toEqual({ secret: null });
  });
});

describe("resource abuse", () => {
  const restarts = async (cause: string) => metricValue(await host.serving.host.metrics.registry.metrics(), "vial_instance_restarts_total", { env: "abuse", cause });

  it("stops an infinite loop at its deadline (504) and heals the pool", async () => {
    const before = await restarts("timeout");
    const answer = await host.post("/v1/invoke/abuse/spin", { rows: [{ text: "x" }] }, { headers: { "x-vial-deadline-ms": "300" } });
    expect(answer.status).toBe(504);
    expect(answer.value.error.code).toBe("deadline_exceeded");
    await eventually(async () => (await restarts("timeout")) === before + 1);
    await eventually(() => idle("abuse"));
    expect(await healthy()).toBe(true);
  });

  it("contains runaway recursion to the row that recursed (V8 throws where the interpreters trap); the host carries on", async () => {
    const answer = await host.invoke("abuse", "recurse", [{ depth: 10_000_000 }, { depth: 3 }]);
    expect(answer.status).toBe(200);
    expect(answer.value.rows).toEqual([null, { depth: 3 }]);
    expect(answer.value.errors).toEqual([{ row: 0, error: "RangeError: Maximum call stack size exceeded" }]);
    await eventually(() => idle("abuse"));
    expect(await healthy()).toBe(true);
    expect((await host.invoke("abuse", "recurse", [{ depth: 500 }])).value.rows[0]).toEqual({ depth: 500 });
  });

  it("stops a memory bomb at the memory limit and replaces the instance", async () => {
    const before = await restarts("memory");
    const answer = await host.invoke("abuse", "hog", [{ mib: 100_000 }]);
    expect(answer.status).toBe(500);
    expect(answer.value.error.code).toBe("memory_limit");
    expect(answer.value.error.message).toContain("64 MiB memory limit");
    await eventually(async () => (await restarts("memory")) === before + 1);
    await eventually(() => idle("abuse"));
    expect(await healthy()).toBe(true);
  });

  it("refuses an output over outputLimitBytes before it leaves the instance's thread", async () => {
    const answer = await host.invoke("abuse", "huge", [{ bytes: 2 * OUTPUT_LIMIT }]);
    expect(answer.status).toBe(500);
    expect(answer.value.error.code).toBe("output_too_large");
    expect(answer.value.error.message).toMatch(new RegExp(`returned an output of \\d+ bytes, which exceeds the limit of ${OUTPUT_LIMIT} bytes`));
    expect(answer.bytes.length).toBeLessThan(1000);
    const fits = await host.invoke("abuse", "huge", [{ bytes: OUTPUT_LIMIT / 2 }]);
    expect(fits.status).toBe(200);
    expect(fits.value.rows[0].text).toHaveLength(OUTPUT_LIMIT / 2);
  });

  it("is still whole afterwards: ready, and no prototype touched", async () => {
    expect((await fetch(`${host.base}/readyz`)).status).toBe(200);
    expect(await healthy()).toBe(true);
    expect(polluted().polluted).toBeUndefined();
  });
});
