/**
 * Python functions over the field's types, deployed into a CPython component and served by a real host on loopback,
 * in JSON and CBOR: every new type nested in every other (per row and as columns), named inputs in row and columns
 * mode, outputs that break their schema or their batch. Every answer is what the same module computes with the
 * machine's python3, in the form docs/types.md gives an answer on the wire. The schema it describes is the JS SDK's
 * for the same declarations, and a pandas-mode function in an environment without pandas is refused at deploy.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import fc from "fast-check";
import { rm } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Store } from "../../builds/store.ts";
import { deploy } from "../../builds/deploy.ts";
import { t } from "../../guest-sdk/js/index.ts";
import type { FieldSchema, FieldType, FunctionSchema } from "../../runtime/schema.ts";
import { deployModule, tempStore } from "../host/helpers.ts";
import { watchedHost, type Watched } from "../security/helpers.ts";
import { snapshot } from "../store-snapshot.ts";
import { callNativeOutcome, describeNative } from "../../testing/python.ts";
import { arbitraryRow, comparable, requestRow, type Format } from "./values.ts";

const FIXTURES = fileURLToPath(new URL("./fixtures/", import.meta.url));
const MODULE = join(FIXTURES, "python_types.py");
const ENV = "types-py";
const FORMATS: Format[] = ["json", "cbor"];

let store: Store;
let host: Watched;
let functions: Map<string, FunctionSchema>;

beforeAll(async () => {
  store = await tempStore();
  await deployModule(store, ENV, join(FIXTURES, "requirements.txt"), MODULE);
  host = await watchedHost(store, { pool: { size: 1, deadlineMs: 30_000 } });
  functions = new Map((describeNative(MODULE) as { functions: FunctionSchema[] }).functions.map((f) => [f.name, f]));
}, 1_200_000);

afterAll(async () => {
  await host?.close();
  if (store) await rm(store.root, { recursive: true, force: true });
});

type Row = Record<string, unknown>;

/** A value the guest returned (its wire form) as an answer in `format` carries it: bytes and non-finite floats change form. */
function answerValue(type: FieldType, value: unknown, format: Format, nonFiniteText: boolean): unknown {
  if (value === null || value === undefined) return null;
  if (typeof type === "string") return type === "bytes" && format === "cbor" ? Buffer.from(value as string, "base64") : value;
  if ("nonFinite" in type) {
    if (typeof value === "number") return value;
    return format === "cbor" ? Number(value) : nonFiniteText ? value : null;
  }
  if ("optional" in type) return answerValue(type.optional, value, format, nonFiniteText);
  if ("array" in type) return (value as unknown[]).map((v) => answerValue(type.array, v, format, nonFiniteText));
  const record = value as Row;
  if ("map" in type) return Object.fromEntries(Object.entries(record).map(([k, v]) => [k, answerValue(type.map, v, format, nonFiniteText)]));
  return Object.fromEntries(type.struct.map((f) => [f.name, answerValue(f.type, record[f.name], format, nonFiniteText)]));
}

const answerRow = (fields: FieldSchema[], row: Row | null, format: Format, nonFiniteText: boolean) =>
  row && Object.fromEntries(fields.map((f) => [f.name, answerValue(f.type, row[f.name], format, nonFiniteText)]));

/** What the module computes with the machine's python3 for `rows` (as the guest receives them), as an answer in `format`. */
function expected(fn: string, rows: Row[], format: Format, nonFiniteText = false) {
  const outcome = callNativeOutcome(MODULE, fn, rows);
  if (!outcome.ok) throw new Error(`${fn} failed natively: ${outcome.error}`);
  const { outputs } = functions.get(fn)!;
  return comparable({ rows: outcome.result.rows.map((r: Row | null) => answerRow(outputs, r, format, nonFiniteText)), errors: outcome.result.errors });
}

/** Rows given as values (Date, Uint8Array, numbers), in the form a caller sends them in `format`. */
const request = (fn: string, rows: Row[], format: Format) => rows.map((row) => requestRow(functions.get(fn)!.inputs, row, format));

/**
 * Equal, but for floats computed through sin, cos and asin, which may differ in the last bit: the component's libm
 * is wasi-libc's, the machine's python3 uses glibc's.
 */
function expectClose(got: unknown, want: unknown): void {
  if (typeof want === "number" && typeof got === "number" && Number.isFinite(want) && !Number.isInteger(want)) {
    expect(Math.abs(got - want)).toBeLessThanOrEqual(1e-12 * Math.abs(want));
  } else if (want !== null && typeof want === "object" && got !== null && typeof got === "object") {
    expect(Object.keys(got)).toEqual(Object.keys(want));
    for (const [k, w] of Object.entries(want)) expectClose((got as Row)[k], w);
  } else {
    expect(got).toEqual(want);
  }
}

async function call(fn: string, rows: unknown[], format: Format, headers: Record<string, string> = {}) {
  const answer = await host.post(`/v1/invoke/${ENV}/${fn}`, { rows }, { format, headers });
  expect(answer.status, `${fn} answered ${JSON.stringify(answer.value)}`).toBe(200);
  return comparable(answer.value);
}

const at = new Date("2026-12-06T20:34:49.123Z");
const payments: Row[] = [
  {
    request: { amount: 12.5, at, currency: "EUR" },
    user_stats: { avg_amount: Math.fround(10.1), txn_count: 3, last_txn: new Date("2026-12-05T08:00:00Z"), by_currency: { EUR: Math.fround(0.7) } },
  },
  // A ratio over zero: Infinity, and NaN for nothing over nothing, as the platforms return them.
  { request: { amount: 5, at, currency: "USD" }, user_stats: { avg_amount: 0, txn_count: 0, last_txn: null, by_currency: {} } },
  { request: { amount: 0, at: new Date("0001-01-01T00:00:00Z"), currency: "" }, user_stats: { avg_amount: 0, txn_count: 2 ** 31 - 2, last_txn: null, by_currency: { "": 1 } } },
];
const trips: Row[] = [
  { request: { lat: 52.52, lon: 13.405, at }, home: { lat: 48.8566, lon: 2.3522, weights: { walk: Math.fround(0.5), bike: 0 } } },
  { request: { lat: 0, lon: 0, at: new Date("9999-12-31T23:59:59.999Z") }, home: { lat: 0, lon: 0, weights: { none: 0 } } },
  { request: { lat: -33.8688, lon: 151.2093, at: new Date("1969-07-20T20:17:40Z") }, home: { lat: -33.87, lon: 151.21, weights: {} } },
];

it("describes its functions as the JS SDK describes the same declarations, and the host serves them so", async () => {
  const leaves = { i32: t.int32, f32: t.float32, at: t.timestamp, nf: t.nonFinite(t.float64), nf32: t.nonFinite(t.float32), raw: t.bytes, text: t.string };
  const reading = t.struct(leaves);
  const everything = t.struct({
    ...leaves,
    reading,
    maybe_reading: t.optional(reading),
    readings: t.array(reading),
    leaf_maps: t.struct({ i32: t.map(t.int32), f32: t.map(t.float32), at: t.map(t.optional(t.timestamp)), nf: t.map(t.nonFinite(t.float64)), nf32: t.map(t.array(t.nonFinite(t.float32))) }),
    by_day: t.map(t.map(t.optional(t.timestamp))),
    lists: t.map(t.array(reading)),
    grids: t.array(t.map(t.float32)),
    deep: t.struct({
      inner: t.struct({ when: t.array(t.timestamp), sizes: t.map(t.int32), last: t.optional(t.struct({ at: t.timestamp })) }),
      places: t.map(t.struct({ at: t.optional(t.timestamp), weight: t.float32 })),
    }),
  }).schema.struct;
  expect(functions.get("echo")).toEqual({ name: "echo", mode: "row", inputs: everything, outputs: everything });
  expect(functions.get("echo_columns")).toEqual({ name: "echo_columns", mode: "columns", inputs: everything, outputs: everything });
  const request = t.struct({ amount: t.float64, at: t.timestamp, currency: t.string });
  const userStats = t.struct({ avg_amount: t.float32, txn_count: t.int32, last_txn: t.optional(t.timestamp), by_currency: t.map(t.float32) });
  expect(functions.get("amount_vs_average")!.inputs).toEqual(t.struct({ request, user_stats: userStats }).schema.struct);

  const { environments } = (await (await fetch(`${host.base}/v1/environments`)).json()) as { environments: Array<{ name: string; functions: FunctionSchema[] }> };
  const served = environments.find((e) => e.name === ENV)!.functions;
  expect([...served].sort((a, b) => a.name.localeCompare(b.name))).toEqual([...functions.values()].sort((a, b) => a.name.localeCompare(b.name)));
});

for (const format of FORMATS) {
  describe(format, () => {
    for (const fn of ["echo", "echo_columns"]) {
      it(`${fn}: every new type nested in every other comes back as the function received it`, async () => {
        const rows = fc.array(arbitraryRow(functions.get(fn)!.inputs), { minLength: 1, maxLength: 4 });
        await fc.assert(
          fc.asyncProperty(rows, async (rows) => {
            expect(await call(fn, request(fn, rows, format), format)).toEqual(expected(fn, request(fn, rows, "json"), format));
          }),
          { numRuns: 15 },
        );
      });
    }

    it("named inputs, one argument each, in a row function", async () => {
      expect(await call("amount_vs_average", request("amount_vs_average", payments, format), format)).toEqual(
        expected("amount_vs_average", request("amount_vs_average", payments, "json"), format),
      );
    });

    it("columns mode: named inputs as their own columns, output columns back into rows", async () => {
      expectClose(await call("distance_columns", request("distance_columns", trips, format), format), expected("distance_columns", request("distance_columns", trips, "json"), format));
      expect(await call("distance_columns", [], format)).toEqual({ rows: [], errors: [] });
    });

    it("an output that breaks its schema is that row's error, saying what the function returned", async () => {
      const cases: Record<string, string> = {
        nan: "output field 'x': expected a finite float64, got NaN",
        infinity: "output field 'x': expected a finite float64, got Infinity",
        too_big: "output field 'f32': expected float32, got 1e+39 (beyond float32's range)",
        bad_date: "output field 'at': expected timestamp, got a date (invalid, or outside years 0001-9999)",
        zoneless: "output field 'at': expected a timestamp (a datetime, or RFC 3339 text with a time zone, years 0001-9999)",
        nested_nan: "output field 'inner.y': expected a finite float64, got NaN",
      };
      const rows = Object.keys(cases).map((what) => ({ what }));
      const answer = await call("bad_output", rows, format);
      expect(answer).toEqual({ rows: rows.map(() => null), errors: Object.values(cases).map((error, row) => ({ row, error })) });
      expect(answer).toEqual(expected("bad_output", rows, format));
    });

    it("a column of the wrong length fails the batch, naming the column", async () => {
      const answer = await host.post(`/v1/invoke/${ENV}/short_column`, { rows: [{ x: 1 }, { x: 2 }] }, { format });
      expect(answer.status).toBe(422);
      expect(answer.value.error.code).toBe("guest_error");
      expect(answer.value.error.message).toContain("short_column returned 1 values in column 'y' for 2 rows");
      expect(callNativeOutcome(MODULE, "short_column", [{ x: 1 }, { x: 2 }])).toEqual({ ok: false, error: "short_column returned 1 values in column 'y' for 2 rows" });
    });
  });
}

it("a JSON caller that asks for non-finite floats as text gets them so", async () => {
  const headers = { "x-vial-non-finite": "string" };
  for (const [fn, rows] of [["amount_vs_average", payments], ["distance_columns", trips]] as const) {
    expectClose(await call(fn, request(fn, rows, "json"), "json", headers), expected(fn, request(fn, rows, "json"), "json", true));
  }
});

it("callers' timestamps in any zone and float32 inputs unrounded reach the function as the same values", async () => {
  const sent = [{ request: { amount: 12.5, at: "2026-12-06T21:34:49.123456+01:00", currency: "EUR" }, user_stats: { avg_amount: 0.1, txn_count: 3, last_txn: "2026-12-05T09:00:00+01:00", by_currency: {} } }];
  const canonical = [{ request: { amount: 12.5, at: "2026-12-06T20:34:49.123456Z", currency: "EUR" }, user_stats: { avg_amount: Math.fround(0.1), txn_count: 3, last_txn: "2026-12-05T08:00:00.000000Z", by_currency: {} } }];
  expect(await call("amount_vs_average", sent, "json")).toEqual(expected("amount_vs_average", canonical, "json"));
});

it("refuses to deploy a pandas-mode function where pandas is not installed, naming pandas, and leaves the store as it was", async () => {
  const before = await snapshot(store);
  await expect(deploy({ store, env: ENV, modulePath: join(FIXTURES, "pandas_without_pandas.py") })).rejects.toThrow(
    "doubled declares mode='pandas', which needs pandas, and this environment does not have it: add pandas to its requirements and run 'vial env create' again",
  );
  expect(await snapshot(store)).toEqual(before);
}, 600_000);
