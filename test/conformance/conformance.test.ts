/**
 * One set of guest behaviours, asserted against every way a guest runs: JS on
 * the V8 engine, JS in its QuickJS component, and Python. The same functions
 * (test/conformance/fixtures), served by one host, must answer with the same
 * statuses, error codes, rows and per-row errors. Only message texts written
 * by the language or engine itself (an exception's type name, a traceback)
 * may differ; the assertions hold to the part they share.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fileURLToPath } from "node:url";
import { rm } from "node:fs/promises";
import { join } from "node:path";
import { createEnvironment } from "../../builds/env-create.ts";
import { deploy } from "../../builds/deploy.ts";
import type { Store } from "../../builds/store.ts";
import { tempStore } from "../store-snapshot.ts";
import { eventually, metricValue } from "../host/helpers.ts";
import { watchedHost, type Answer, type Watched } from "../security/helpers.ts";

const FIXTURES = fileURLToPath(new URL("./fixtures/", import.meta.url));
const POOL_SIZE = 2;
const SPIN_DEADLINE_MS = 500;
/** The instance memory cap: small, so hog reaches it quickly, yet above what either component starts with. */
const MEMORY_MIB = 32;
interface Language {
  env: string;
  module: string;
  requirements: string;
  engine?: string;
  /** Loop turns that keep an instance busy for a while (hundreds of ms) on this engine. */
  drawWork: number;
}

const LANGUAGES: Array<[string, Language]> = [
  ["js (v8)", { env: "conf-js", module: "conformance.ts", requirements: "package.json", engine: "v8", drawWork: 300_000_000 }],
  ["js (quickjs)", { env: "conf-qjs", module: "conformance.ts", requirements: "package.json", engine: "quickjs", drawWork: 3_000_000 }],
  ["python", { env: "conf-python", module: "conformance.py", requirements: "requirements.txt", drawWork: 3_000_000 }],
];

let store: Store;
let host: Watched;

beforeAll(async () => {
  store = await tempStore();
  await Promise.all(
    LANGUAGES.map(async ([, lang]) => {
      await createEnvironment({ name: lang.env, requirements: join(FIXTURES, lang.requirements), engine: lang.engine, store });
      await deploy({ store, env: lang.env, modulePath: join(FIXTURES, lang.module) });
    }),
  );
  host = await watchedHost(store, {
    pool: { size: POOL_SIZE, deadlineMs: 10_000 },
    environments: Object.fromEntries(LANGUAGES.map(([, lang]) => [lang.env, { memoryMiB: MEMORY_MIB }])),
  });
}, 600_000);

afterAll(async () => {
  await host?.close();
  if (store) await rm(store.root, { recursive: true, force: true });
});

interface EnvironmentInfo {
  name: string;
  functions: unknown[];
  pool: { idle: number; busy: number; starting: number; size: number };
}

const environments = async () => ((await (await fetch(host.base + "/v1/environments")).json()) as { environments: EnvironmentInfo[] }).environments;
const metrics = async () => (await fetch(host.base + "/metrics")).text();
const restarts = async (env: string, cause: string) => metricValue(await metrics(), "vial_instance_restarts_total", { env, cause });
const poolIsFull = (env: string) =>
  eventually(async () => (await environments()).find((e) => e.name === env)?.pool.idle === POOL_SIZE);
const errorOf = (answer: Answer) => answer.value.error as { code: string; message: string };

it("gives every language and engine the same functions with the same schemas", async () => {
  const list = await environments();
  const byName = (env: string) => {
    const functions = list.find((e) => e.name === env)!.functions as Array<{ name: string }>;
    return [...functions].sort((a, b) => a.name.localeCompare(b.name));
  };
  const [first, ...others] = LANGUAGES.map(([, lang]) => byName(lang.env));
  expect(first!.map((f) => f.name)).toEqual([
    "amount_vs_average", "batch_fails", "chatty", "columns_fails", "draw", "hog", "inverse", "mirror", "mirror_types", "ranks",
    "spend_columns", "spin", "wrong_output", "wrong_types",
  ]);
  for (const other of others) expect(other).toEqual(first);
});

describe.each(LANGUAGES)("%s guest", (_language, { env, drawWork }) => {
  const invoke = (fn: string, rows: unknown[], format: "json" | "cbor" = "json") => host.invoke(env, fn, rows, format);

  describe("mirror: every type in and out", () => {
    const bytes = (...values: number[]) => Uint8Array.from(values);
    const full = {
      s: "héllo ☕ 🍫",
      i: -(2 ** 53 - 1),
      f: 2.5,
      b: true,
      raw: bytes(0, 1, 2, 250, 255),
      xs: [1, -2, 2 ** 53 - 1],
      names: ["a", "", "ünï"],
      blobs: [bytes(), bytes(7)],
      grid: [[0.5, -1.25], [], [3]],
      maybe: "here",
      maybe_raw: bytes(9, 8),
      maybe_xs: [4, 5],
    };
    // Optional fields null in one row and absent in the other; empty collections.
    const sparse = { s: "", i: 0, f: -0.125, b: false, raw: bytes(), xs: [], names: [], blobs: [], grid: [], maybe: null, maybe_raw: null };
    const sparseOut = { ...sparse, maybe_xs: null };
    const base64 = (v: Uint8Array) => Buffer.from(v).toString("base64");
    const asJson = (row: Record<string, unknown>) =>
      Object.fromEntries(
        Object.entries(row).map(([k, v]) => [k, v instanceof Uint8Array ? base64(v) : Array.isArray(v) && v.some((x) => x instanceof Uint8Array) ? v.map(base64) : v]),
      );

    it("over JSON, bytes as base64", async () => {
      const answer = await invoke("mirror", [asJson(full), asJson(sparse)]);
      expect(answer.status).toBe(200);
      expect(answer.value).toEqual({ rows: [asJson(full), asJson(sparseOut)], errors: [] });
    });

    it("over CBOR, bytes as byte strings", async () => {
      const answer = await invoke("mirror", [full, sparse], "cbor");
      expect(answer.status).toBe(200);
      expect(answer.headers["content-type"]).toMatch(/^application\/cbor/);
      // Byte strings compared by content, whatever Uint8Array subclass the decoder made.
      const normalize = (value: unknown): unknown =>
        value instanceof Uint8Array
          ? { bytes: Array.from(value) }
          : Array.isArray(value)
            ? value.map(normalize)
            : value !== null && typeof value === "object"
              ? Object.fromEntries(Object.entries(value).map(([k, v]) => [k, normalize(v)]))
              : value;
      expect(normalize(answer.value)).toEqual(normalize({ rows: [full, sparseOut], errors: [] }));
      expect(answer.value.rows[0].raw).toBeInstanceOf(Uint8Array);
    });

    it("refuses a row that breaks the input schema before the guest sees it, and an unknown function", async () => {
      const answer = await invoke("mirror", [asJson(full), { ...asJson(full), xs: [1, "two"] }]);
      expect(answer.status).toBe(400);
      expect(errorOf(answer).code).toBe("invalid_row");
      expect(errorOf(answer).message).toMatch(/^row 1: field 'xs\[1\]': expected int64, got string/);
      const unknown = await invoke("nothing", []);
      expect(unknown.status).toBe(404);
      expect(errorOf(unknown).code).toBe("unknown_function");
    });
  });

  describe("mirror_types: the field's types, nested, in and out", () => {
    const full = {
      i32: -(2 ** 31),
      f32: 0.1,
      at: "2026-12-06T21:34:49.123+01:00",
      nf: NaN,
      nf32: -Infinity,
      when: "2026-01-01T00:00:00Z",
      tags: { a: 1, "": -2, "2": 2 ** 31 - 1 },
      reading: { at: "1969-07-20T20:17:40Z", value: -2.5, note: "ünï" },
      readings: [{ at: null, scores: { x: Infinity, y: 0.5 } }, { scores: {} }],
      by_day: { "2026-12-06": ["2026-12-06T00:00:00Z", "2026-12-06T23:59:59.999Z"], empty: [] },
    };
    const sparse = {
      i32: 0, f32: 0, at: "0001-01-01T00:00:00Z", nf: 1.5, nf32: 0.25, when: null, tags: {},
      reading: { at: "9999-12-31T23:59:59.999Z", value: 3.4028234663852886e38 }, readings: [], by_day: {},
    };
    /** The answer: timestamps in the canonical text, float32 rounded, absent optional fields null, non-finite floats as `nonFinite` says. */
    const answer = (nonFinite: (n: number) => unknown) => [
      {
        ...full, f32: Math.fround(0.1), at: "2026-12-06T20:34:49.123000Z", nf: nonFinite(NaN), nf32: nonFinite(-Infinity), when: "2026-01-01T00:00:00.000000Z",
        reading: { at: "1969-07-20T20:17:40.000000Z", value: -2.5, note: "ünï" },
        readings: [{ at: null, scores: { x: nonFinite(Infinity), y: 0.5 } }, { at: null, scores: {} }],
        by_day: { "2026-12-06": ["2026-12-06T00:00:00.000000Z", "2026-12-06T23:59:59.999000Z"], empty: [] },
      },
      { ...sparse, at: "0001-01-01T00:00:00.000000Z", reading: { at: "9999-12-31T23:59:59.999000Z", value: 3.4028234663852886e38, note: null } },
    ];
    /** A JSON body writes NaN and ±Infinity as text. */
    const asJson = (value: unknown): unknown =>
      typeof value === "number" && !Number.isFinite(value) ? String(value) : Array.isArray(value) ? value.map(asJson)
        : value !== null && typeof value === "object" ? Object.fromEntries(Object.entries(value).map(([k, v]) => [k, asJson(v)])) : value;

    it("over JSON: non-finite floats null, or text when the caller asks", async () => {
      const rows = asJson([full, sparse]) as unknown[];
      expect((await invoke("mirror_types", rows)).value).toEqual({ rows: answer(() => null), errors: [] });
      const asked = await host.post(`/v1/invoke/${env}/mirror_types`, { rows }, { headers: { "x-vial-non-finite": "string" } });
      expect(asked.value).toEqual({ rows: answer(String), errors: [] });
    });

    it("over CBOR: non-finite floats as floats", async () => {
      expect((await invoke("mirror_types", [full, sparse], "cbor")).value).toEqual({ rows: answer(Number), errors: [] });
    });
  });

  describe("named inputs", () => {
    const at = "2026-12-06T20:34:49.123Z";
    const payments = [
      { request: { amount: 12.5, at, currency: "EUR" }, user_stats: { avg_amount: 10, txn_count: 3, last_txn: "2026-12-05T08:00:00Z", by_currency: { EUR: 0.7 } } },
      { request: { amount: 5, at, currency: "USD" }, user_stats: { avg_amount: 0, txn_count: 0, last_txn: null, by_currency: {} } },
      { request: { amount: 0, at, currency: "" }, user_stats: { avg_amount: 0, txn_count: 1, by_currency: { "": 1 } } },
    ];

    it("amount_vs_average: each input a record of its own, in a row function", async () => {
      const answer = await host.post(`/v1/invoke/${env}/amount_vs_average`, { rows: payments }, { headers: { "x-vial-non-finite": "string" } });
      expect(answer.value).toEqual({
        rows: [
          { ratio: 1.25, since_last_s: 131_689.123, next_review: "2026-12-07T20:34:49.123000Z", share: 0.75, summary: { currency: "EUR", usual: true, note: null } },
          { ratio: "Infinity", since_last_s: null, next_review: "2026-12-07T20:34:49.123000Z", share: 0, summary: { currency: "USD", usual: false, note: null } },
          { ratio: "NaN", since_last_s: null, next_review: "2026-12-07T20:34:49.123000Z", share: 0.5, summary: { currency: "", usual: true, note: null } },
        ],
        errors: [],
      });
    });

    it("a named input missing a field is refused before the guest sees it", async () => {
      const answer = await invoke("amount_vs_average", [payments[0], { ...payments[1], request: { amount: 1, currency: "EUR" } }]);
      expect(answer.status).toBe(400);
      expect(errorOf(answer)).toMatchObject({ code: "invalid_row", message: expect.stringMatching(/^row 1: field 'request.at': missing/) });
    });

    it("spend_columns: columns mode, each input a dict of its fields' columns, output columns back into rows", async () => {
      const rows = [
        { request: { amount: 120.5, at: "2026-12-06T20:34:49.123Z" }, limits: { daily: 100.1, by_tag: { food: 2, fun: 0 } } },
        { request: { amount: 0, at: "1999-12-31T23:59:59Z" }, limits: { daily: 0.5, by_tag: {} } },
        { request: { amount: 1, at: "2026-01-01T00:00:00Z" }, limits: { daily: 1, by_tag: { a: 2 ** 31 - 1, b: 1 } } },
      ];
      const answer = await host.post(`/v1/invoke/${env}/spend_columns`, { rows }, { headers: { "x-vial-non-finite": "string" } });
      expect(answer.value).toEqual({
        rows: [
          { over: true, headroom: Math.fround(Math.fround(100.1) - 120.5), hour: 20, day: "2026-12-06T00:00:00.000000Z", tag_total: 2, per_tag: { food: 60.25, fun: "Infinity" } },
          { over: false, headroom: 0.5, hour: 23, day: "1999-12-31T00:00:00.000000Z", tag_total: 0, per_tag: {} },
          null,
        ],
        errors: [{ row: 2, error: "output field 'tag_total': expected int32, got number (outside -2^31..2^31-1)" }],
      });
      expect((await invoke("spend_columns", [])).value).toEqual({ rows: [], errors: [] });
    });
  });

  it("wrong_types: an output breaking a new type, anywhere inside, is that row's error in the same words", async () => {
    const cases: Record<string, string> = {
      nan: "output field 'x': expected a finite float64, got NaN",
      infinity: "output field 'x': expected a finite float64, got -Infinity",
      float32_range: "output field 'f32': expected float32, got 1e+39 (beyond float32's range)",
      int32_range: "output field 'i32': expected int32, got number (outside -2^31..2^31-1)",
      struct_missing: "output field 'st.a': missing",
      map_value: `output field 'm["k"]': expected int32, got string`,
      list_item: "output field 'xs[1].at': expected timestamp, got number",
      nested_nan: "output field 'st.y': expected a finite float64, got NaN",
      non_finite_text: "output field 'nf': expected float64, got string",
      not_a_row: "output expected an object, got array",
    };
    const answer = await invoke("wrong_types", Object.keys(cases).map((what) => ({ what })));
    expect(answer.status).toBe(200);
    expect(answer.value).toEqual({ rows: Object.keys(cases).map(() => null), errors: Object.values(cases).map((error, row) => ({ row, error })) });
  });

  it("a key a function returns but does not declare is dropped from its row and counted, per row and per column", async () => {
    const counted = async (fn: string) => metricValue(await metrics(), "vial_undeclared_output_keys_total", { env, function: fn });
    const [row, column] = [await counted("wrong_types"), await counted("columns_fails")];
    const none = { f32: null, i32: null, st: null, m: null, xs: null, nf: null };
    expect((await invoke("wrong_types", [{ what: "undeclared" }])).value).toEqual({ rows: [{ x: 1, ...none }], errors: [] });
    expect((await invoke("columns_fails", [{ x: 1, how: "undeclared" }, { x: 2, how: "undeclared" }])).value).toEqual({
      rows: [{ y: 1, note: null }, { y: 2, note: null }],
      errors: [],
    });
    expect([await counted("wrong_types"), await counted("columns_fails")]).toEqual([row + 1, column + 2]);
  });

  it("columns_fails: a dict of columns in and out; a column short, missing or a throw fails the batch, naming the column", async () => {
    const rows = (how: string) => [{ x: 1, how }, { x: 2, how }];
    expect((await invoke("columns_fails", rows("ok"))).value).toEqual({ rows: [{ y: 2, note: null }, { y: 4, note: null }], errors: [] });
    for (const [how, said] of [["short", "returned 1 values in column 'y' for 2 rows"], ["missing", "returned no column 'y'"], ["throw", "no columns today"]]) {
      const answer = await invoke("columns_fails", rows(how!));
      expect(answer.status).toBe(422);
      expect(errorOf(answer).code).toBe("guest_error");
      expect(errorOf(answer).message).toContain(`${env}/columns_fails rejected the batch`);
      expect(errorOf(answer).message).toContain(said);
    }
  });

  it("inverse: a row that throws fails alone, the other rows go through", async () => {
    const answer = await invoke("inverse", [{ x: 2 }, { x: 0 }, { x: -4 }]);
    expect(answer.status).toBe(200);
    expect(answer.value.rows).toEqual([{ y: 0.5 }, null, { y: -0.25 }]);
    expect(answer.value.errors).toEqual([{ row: 1, error: expect.stringContaining("x must not be zero") }]);
  });

  it("ranks: a batch handler sees the whole batch and answers in order", async () => {
    const answer = await invoke("ranks", [{ score: 1 }, { score: 3 }, { score: 2 }, { score: 3 }]);
    expect(answer.status).toBe(200);
    expect(answer.value).toEqual({ rows: [{ rank: 4, of: 4 }, { rank: 1, of: 4 }, { rank: 3, of: 4 }, { rank: 2, of: 4 }], errors: [] });
    expect((await invoke("ranks", [])).value).toEqual({ rows: [], errors: [] });
  });

  it("batch_fails: a batch handler that throws fails the batch with 422 guest_error", async () => {
    const answer = await invoke("batch_fails", [{ x: 1 }, { x: 2 }]);
    expect(answer.status).toBe(422);
    expect(errorOf(answer).code).toBe("guest_error");
    expect(errorOf(answer).message).toContain(`${env}/batch_fails rejected the batch`);
    expect(errorOf(answer).message).toContain("batch refused: 2 rows");
  });

  it("wrong_output: a row breaking the output schema becomes that row's error, naming the field", async () => {
    const answer = await invoke("wrong_output", [
      { x: 1, how: "ok" },
      { x: 2, how: "type" },
      { x: 3, how: "missing" },
    ]);
    expect(answer.status).toBe(200);
    expect(answer.value.rows).toEqual([{ y: 1, label: "fine" }, null, null]);
    expect(answer.value.errors).toEqual([
      { row: 1, error: expect.stringMatching(/^output field 'y': expected int64/) },
      { row: 2, error: expect.stringMatching(/^output field 'label': /) },
    ]);
  });

  it("chatty: console output reaches the host logs, tagged with environment, function and version", async () => {
    const marker = `marker-${env}-${Date.now()}`;
    const answer = await invoke("chatty", [{ text: marker }]);
    expect(answer.status).toBe(200);
    expect(answer.value.rows).toEqual([{ text: marker }]);
    const lines = host.logs.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => typeof l.guest === "string" && l.guest.includes(marker));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ env, function: "chatty", version: expect.any(String), requestId: answer.headers["x-request-id"] });
    expect(lines[0]!.guest).toMatch(new RegExp(`^\\w+: saw ${marker}$`));
  });

  it("draw: two instances draw different random numbers", async () => {
    await poolIsFull(env);
    // The second call starts while the first one keeps its instance busy: it runs on the other instance.
    let settled = false;
    const first = invoke("draw", [{ work: drawWork }]).finally(() => (settled = true));
    await eventually(async () => settled || (await environments()).find((e) => e.name === env)?.pool.busy === 1, 5);
    const b = await invoke("draw", [{ work: 0 }]);
    expect(settled).toBe(false);
    const a = await first;
    expect([a.status, b.status]).toEqual([200, 200]);
    const [x, y] = [a!.value.rows[0], b!.value.rows[0]];
    for (const v of [x.r, x.first, y.r, y.first]) expect(v >= 0 && v < 1).toBe(true);
    expect(x.first).not.toBe(y.first);
    expect(x.r).not.toBe(y.r);
  });

  it("spin: an endless call is stopped at its deadline (504) and the pool refills", async () => {
    await poolIsFull(env);
    const before = await restarts(env, "timeout");
    const answer = await host.post(`/v1/invoke/${env}/spin`, { rows: [{ x: 1 }] }, { headers: { "x-vial-deadline-ms": String(SPIN_DEADLINE_MS) } });
    expect(answer.status).toBe(504);
    expect(errorOf(answer).code).toBe("deadline_exceeded");
    expect(errorOf(answer).message).toContain(`${SPIN_DEADLINE_MS} ms deadline`);
    // The instance's replacement is reported by its executor beside the answer, not before it.
    await eventually(async () => (await restarts(env, "timeout")) === before + 1);
    await poolIsFull(env);
    expect((await invoke("inverse", [{ x: 4 }])).value.rows).toEqual([{ y: 0.25 }]);
  });

  it("hog: a call that allocates up to the memory cap is 500 memory_limit, and the instance is replaced", async () => {
    await poolIsFull(env);
    const before = await restarts(env, "memory");
    const answer = await invoke("hog", [{ mib: 4 }, { mib: 100_000 }]);
    expect(answer.status).toBe(500);
    expect(errorOf(answer).code).toBe("memory_limit");
    expect(errorOf(answer).message).toContain(`${env}/hog reached its ${MEMORY_MIB} MiB memory limit`);
    await eventually(async () => (await restarts(env, "memory")) === before + 1);
    await poolIsFull(env);
    const small = await invoke("hog", [{ mib: 1 }]);
    expect(small.status).toBe(200);
    expect(small.value).toEqual({ rows: [{ held: 1 }], errors: [] });
  });
});
