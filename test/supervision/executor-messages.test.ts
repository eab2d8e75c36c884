// What an executor may say, checked: well-formed messages pass as they are, anything else is a violation.
import { describe, expect, it } from "vitest";
import { parseExecutorMessage, ProtocolViolation, withinNodes } from "../../supervision/executor-messages.ts";
import { PART_BYTES } from "../../executor/parts.ts";
import { MAX_REPORTED_CALLS, MAX_UNDECLARED_KEYS_PER_ROW } from "../../executor/protocol.ts";

/** Calls 1-9 are waiting, each with at most 10 rows. */
const bounds = { maxBodyBytes: 4 * 2 ** 20, rowsAtMost: (id: number) => (id < 10 ? 10 : 0), functions: new Set(["score"]) };
const parse = (raw: unknown) => parseExecutorMessage(raw, bounds);

describe("parseExecutorMessage", () => {
  it("passes the messages executors send", () => {
    const answer = { type: "done", id: 3, ok: true, body: new Uint8Array([1]), logs: ["stdout: a"], guest: { start: 1, end: 2 } };
    expect(parse(answer)).toEqual(answer);
    const error = { type: "done", id: 4, ok: false, error: { status: 422, code: "guest_error", message: "no", retryAfter: 1 } };
    expect(parse(error)).toEqual(error);
    const values = { type: "done", id: 5, ok: true, body: { rows: [{ a: 1 }, null], errors: [{ row: 1, error: "bad" }] } };
    expect(parse(values)).toEqual(values);
    const state = { type: "state", id: 2, state: { size: 2, idle: 1, busy: 1, starting: 0, queued: 0, rssBytes: 123 } };
    expect(parse(state)).toEqual(state);
    expect(parse({ type: "instance", event: "restarted", cause: "memory" })).toEqual({ type: "instance", event: "restarted", cause: "memory" });
    const first = { type: "done", id: 6, ok: true, body: new Uint8Array(PART_BYTES), bodyBytes: PART_BYTES + 1 };
    expect(parse(first)).toEqual(first);
    const undeclared = { type: "done", id: 7, ok: true, body: new Uint8Array([1]), undeclaredKeys: 10 * MAX_UNDECLARED_KEYS_PER_ROW };
    expect(parse(undeclared)).toEqual(undeclared);
    expect(parse({ ...first, undeclaredKeys: 0 })).toEqual({ ...first, undeclaredKeys: 0 });
    const served = { type: "served", calls: [{ fn: "score", status: 200, ms: 1.5 }, { fn: "", status: 404, ms: 0, code: "unknown_function" }], logs: ["stdout: a"] };
    expect(parse(served)).toEqual(served);
  });

  it("drops what it does not know of a message it takes", () => {
    expect(parse({ type: "ready", extra: "x".repeat(100) })).toEqual({ type: "ready" });
  });

  it.each([
    ["null", null],
    ["a type it does not know", { type: "exec" }],
    ["an id that is not a positive integer", { type: "done", id: -1, ok: true, body: new Uint8Array(1) }],
    ["a body over the bound", { type: "done", id: 1, ok: true, body: new Uint8Array(bounds.maxBodyBytes + 1) }],
    ["a first part that is not a whole part", { type: "done", id: 1, ok: true, body: new Uint8Array(10), bodyBytes: 20 }],
    ["a part larger than parts are", { type: "part", id: 1, bytes: new Uint8Array(PART_BYTES + 1) }],
    ["more log lines than a call keeps", { type: "done", id: 1, ok: true, body: new Uint8Array(1), logs: Array(200).fill("x") }],
    ["a log line that is not a string", { type: "done", id: 1, ok: true, body: new Uint8Array(1), logs: [{ toString: 1 }] }],
    ["an error code of its own", { type: "done", id: 1, ok: false, error: { status: 500, code: "mine", message: "" } }],
    ["a state with a negative count", { type: "state", id: 1, state: { size: -1, idle: 0, busy: 0, starting: 0, queued: 0, rssBytes: 0 } }],
    ["comparison counts that do not add up", { type: "done", id: 1, ok: true, body: new Uint8Array(0), comparison: { compared: 1, matched: 5, mismatched: 0, samples: [] } }],
    ["more row errors than rows", { type: "done", id: 1, ok: true, body: { rows: [null], errors: [{ row: 0, error: "a" }, { row: 0, error: "b" }] } }],
    ["more undeclared keys than its rows can hold", { type: "done", id: 1, ok: true, body: new Uint8Array(1), undeclaredKeys: 10 * MAX_UNDECLARED_KEYS_PER_ROW + 1 }],
    ["undeclared keys for a call not waiting", { type: "done", id: 10, ok: true, body: new Uint8Array(1), undeclaredKeys: 1 }],
    ["undeclared keys that are not a count", { type: "done", id: 1, ok: true, body: new Uint8Array(1), undeclaredKeys: 1.5 }],
    ["a negative count of undeclared keys", { type: "done", id: 1, ok: true, body: new Uint8Array(1), undeclaredKeys: -1 }],
    ["undeclared keys as text", { type: "done", id: 1, ok: true, body: new Uint8Array(1), undeclaredKeys: "1" }],
    ["a served call of a function the version does not have", { type: "served", calls: [{ fn: "other", status: 200, ms: 1 }], logs: [] }],
    ["a served call with a status no answer has", { type: "served", calls: [{ fn: "score", status: 99, ms: 1 }], logs: [] }],
    ["a served call that took no time it could", { type: "served", calls: [{ fn: "score", status: 200, ms: Number.NaN }], logs: [] }],
    ["a served call with an error code of its own", { type: "served", calls: [{ fn: "score", status: 500, ms: 1, code: "mine" }], logs: [] }],
    ["more served calls than a report carries", { type: "served", calls: Array(MAX_REPORTED_CALLS + 1).fill({ fn: "score", status: 200, ms: 1 }), logs: [] }],
    ["a report's log line over its bound", { type: "served", calls: [], logs: ["x".repeat(5000)] }],
  ])("refuses %s", (_what, raw) => {
    expect(() => parse(raw)).toThrow(ProtocolViolation);
  });
});

describe("withinNodes", () => {
  it("counts a value shared by reference each time it is reached, as JSON would expand it", () => {
    let shared: unknown = "leaf";
    for (let i = 0; i < 40; i++) shared = [shared, shared];
    expect(withinNodes(shared, 1_000_000)).toBe(false);
    expect(withinNodes({ a: [1, 2, { b: "c" }] }, 10)).toBe(true);
  });
});
