/**
 * JS functions over the field's types, served by a real host on loopback, in JSON and CBOR, on the V8 engine and on
 * the QuickJS component: every new type nested in every other, named inputs, the columns mode, timestamps returned
 * as text, and outputs that break their schema or their batch. Every answer is what the same module computes when
 * run in this process, in the form docs/types.md gives it on the wire (values.ts).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import fc from "fast-check";
import { build } from "esbuild";
import { rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import type { Store } from "../../builds/store.ts";
import type { Transformation } from "../../guest-sdk/js/index.ts";
import { typecheckModule } from "../../builds/js/typecheck.ts";
import { deployModule, tempStore } from "../host/helpers.ts";
import { publishCopy, watchedHost, type Watched } from "../security/helpers.ts";
import { answerRow, arbitraryRow, comparable, requestRow, type Format } from "./values.ts";

const FIXTURES = fileURLToPath(new URL("./fixtures/", import.meta.url));
const SDK = fileURLToPath(new URL("../../guest-sdk/js/index.ts", import.meta.url));
const ENGINES = [
  { engine: "v8", env: "types" },
  { engine: "component", env: "types-qjs" },
];
const FORMATS: Format[] = ["json", "cbor"];

let store: Store;
let host: Watched;
let native: Record<string, Transformation>;

beforeAll(async () => {
  store = await tempStore();
  await deployModule(store, "types", join(FIXTURES, "package.json"), join(FIXTURES, "features.ts"));
  await publishCopy(store, "types", "types-qjs");
  host = await watchedHost(store, { pool: { size: 1, deadlineMs: 30_000 }, environments: { "types-qjs": { engine: "component" } } });
  native = await nativeModule();
}, 300_000);

afterAll(async () => {
  await host?.close();
  if (store) await rm(store.root, { recursive: true, force: true });
});

/** The fixture module bundled for this process, outside any sandbox: how its functions compute natively. */
async function nativeModule(): Promise<Record<string, Transformation>> {
  const result = await build({
    entryPoints: [join(FIXTURES, "features.ts")],
    bundle: true,
    write: false,
    format: "esm",
    platform: "node",
    alias: { "@vial/guest": SDK },
    logLevel: "silent",
  });
  const file = join(store.root, "features-native.mjs");
  await writeFile(file, result.outputFiles[0]!.text);
  return (await import(pathToFileURL(file).href)) as Record<string, Transformation>;
}

type Row = Record<string, unknown>;

/** What the function computes natively for `rows` (its values), as an answer in `format` must carry it. */
function expected(fn: string, rows: Row[], format: Format, nonFiniteText = false) {
  const f = native[fn]!;
  const results = f.run(structuredClone(rows) as never);
  const errors = results.flatMap((r, row) => (r instanceof Error ? [{ row, error: `${r.name}: ${r.message}` }] : []));
  return comparable({ rows: results.map((r) => (r instanceof Error ? null : answerRow(f.outputs, r as Row, format, nonFiniteText))), errors });
}

/** Sends rows given as the function's values, in the form a caller sends them. */
const request = (fn: string, rows: Row[], format: Format) => rows.map((row) => requestRow(native[fn]!.inputs, row, format));

async function call(env: string, fn: string, rows: unknown[], format: Format, headers: Record<string, string> = {}) {
  const answer = await host.post(`/v1/invoke/${env}/${fn}`, { rows }, { format, headers });
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
  { request: { lat: 52.52, lon: 13.405, at }, home: { lat: 48.8566, lon: 2.3522 }, prefs: { weights: { walk: Math.fround(0.5), bike: 0 } } },
  { request: { lat: 0, lon: 0, at: new Date("9999-12-31T23:59:59.999Z") }, home: { lat: 0, lon: 0 }, prefs: { weights: { none: 0 } } },
  { request: { lat: -33.8688, lon: 151.2093, at: new Date("1969-07-20T20:17:40Z") }, home: { lat: -33.87, lon: 151.21 }, prefs: { weights: {} } },
];

it("deploys a module using every new type and mode through the type-check, which names the line of a nested output that breaks its schema", async () => {
  expect(native.echo!.mode).toBe("row");
  expect(native.distance_columns!.mode).toBe("columns");
  await expect(typecheckModule(join(FIXTURES, "breaks-nested-output.ts"))).rejects.toThrow(/breaks-nested-output\.ts:7:\d+: .*Property 'km' is missing/);
});

describe.each(ENGINES)("$engine", ({ engine, env }) => {
  it("runs on the engine it is configured for", async () => {
    const { environments } = (await (await fetch(`${host.base}/v1/environments`)).json()) as { environments: Array<{ name: string; engine: { running: string } }> };
    expect(environments.find((e) => e.name === env)!.engine.running).toBe(engine);
  });

  for (const format of FORMATS) {
    it(`echo: every new type nested in every other comes back as the function received it (${format})`, async () => {
      const rows = fc.array(arbitraryRow(native.echo!.inputs), { minLength: 1, maxLength: 4 });
      await fc.assert(
        fc.asyncProperty(rows, async (rows) => {
          expect(await call(env, "echo", request("echo", rows, format), format)).toEqual(expected("echo", rows, format));
        }),
        { numRuns: 25 },
      );
    });

    it(`named inputs, destructured in a row handler (${format})`, async () => {
      expect(await call(env, "amount_vs_average", request("amount_vs_average", payments, format), format)).toEqual(expected("amount_vs_average", payments, format));
    });

    it(`columns mode: a column per field, named inputs as their own columns, output columns back into rows (${format})`, async () => {
      expect(await call(env, "distance_columns", request("distance_columns", trips, format), format)).toEqual(expected("distance_columns", trips, format));
      expect(await call(env, "distance_columns", [], format)).toEqual({ rows: [], errors: [] });
      await fc.assert(
        fc.asyncProperty(fc.array(arbitraryRow(native.buckets!.inputs), { maxLength: 5 }), async (rows) => {
          expect(await call(env, "buckets", request("buckets", rows, format), format)).toEqual(expected("buckets", rows, format));
        }),
        { numRuns: 15 },
      );
    });
  }

  it("a JSON caller that asks for non-finite floats as text gets them so", async () => {
    const headers = { "x-vial-non-finite": "string" };
    expect(await call(env, "amount_vs_average", request("amount_vs_average", payments, "json"), "json", headers)).toEqual(expected("amount_vs_average", payments, "json", true));
    expect(await call(env, "distance_columns", request("distance_columns", trips, "json"), "json", headers)).toEqual(expected("distance_columns", trips, "json", true));
  });

  it("callers' timestamps in any zone and as CBOR tag 1, and float32 inputs rounded, reach the function as the same values", async () => {
    const sent = (at: unknown, avg: number) => [{ request: { amount: 12.5, at, currency: "EUR" }, user_stats: { avg_amount: avg, txn_count: 3, last_txn: "2026-12-05T09:00:00+01:00", by_currency: {} } }];
    const values = [{ ...payments[0]!, user_stats: { ...(payments[0]!.user_stats as Row), avg_amount: Math.fround(0.1), by_currency: {} } }];
    expect(await call(env, "amount_vs_average", sent("2026-12-06T21:34:49.123+01:00", 0.1), "json")).toEqual(expected("amount_vs_average", values, "json"));
    expect(await call(env, "amount_vs_average", sent(at, 0.1), "cbor")).toEqual(expected("amount_vs_average", values, "cbor"));
  });

  it("a timestamp returned as RFC 3339 text keeps its microseconds, and text that is not one is that row's error", async () => {
    const rows = [{ text: "2026-12-06T21:34:49.123456+01:00" }, { text: "0001-01-01T00:00:00Z" }, { text: "2026-12-06T20:34:49" }];
    for (const format of FORMATS) {
      expect(await call(env, "stamp_text", rows, format)).toEqual({
        rows: [
          { at: "2026-12-06T20:34:49.123456Z", later: { at: "2026-12-06T20:34:49.123456Z" } },
          { at: "0001-01-01T00:00:00.000000Z", later: { at: "0001-01-01T00:00:00.000000Z" } },
          null,
        ],
        errors: [{ row: 2, error: "output field 'at': expected a timestamp (a Date, or RFC 3339 text with a time zone, years 0001-9999)" }],
      });
    }
  });

  it("an output that breaks its schema is that row's error, saying what the function returned", async () => {
    const cases: Record<string, string> = {
      nan: "output field 'x': expected a finite float64, got NaN",
      infinity: "output field 'x': expected a finite float64, got Infinity",
      too_big: "output field 'f32': expected float32, got 1e+39 (beyond float32's range)",
      bad_date: "output field 'at': expected timestamp, got a date (invalid, or outside years 0001-9999)",
      zoneless: "output field 'at': expected a timestamp (a Date, or RFC 3339 text with a time zone, years 0001-9999)",
      nested_nan: "output field 'inner.y': expected a finite float64, got NaN",
    };
    for (const format of FORMATS) {
      const answer = await call(env, "bad_output", Object.keys(cases).map((what) => ({ what })), format);
      expect(answer).toEqual({ rows: Object.keys(cases).map(() => null), errors: Object.values(cases).map((error, row) => ({ row, error })) });
    }
  });

  it("a column of the wrong length fails the batch, naming the column", async () => {
    for (const format of FORMATS) {
      const answer = await host.post(`/v1/invoke/${env}/short_column`, { rows: [{ x: 1 }, { x: 2 }] }, { format });
      expect(answer.status).toBe(422);
      expect(answer.value.error.code).toBe("guest_error");
      expect(answer.value.error.message).toContain("short_column: columnsHandler returned 1 values in column 'y' for 2 rows");
    }
  });
});
