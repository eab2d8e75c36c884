/**
 * Inputs decoded within bounds, through a real host on loopback: a CBOR body
 * that cbor-x alone would decode into gigabytes, or empty rows that would
 * grow past what the function can hold, are refused with a 400 before
 * anything is built (the executor's and the host's memory stay put), and the
 * float64 rule holds on every engine (V8 isolates, QuickJS and StarlingMonkey
 * components, the CPython component) in JSON and CBOR: NaN, ±Infinity and
 * undefined are a 400 naming the row and field, an optional field left
 * undefined reaches the guest as null, and a non-finite output is that row's
 * error.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import type { Store } from "../../builds/store.ts";
import { createEnvironment } from "../../builds/env-create.ts";
import { deploy } from "../../builds/deploy.ts";
import { DEFAULT_POLICY } from "../../supervision/policy.ts";
import { executorOf, tempStore } from "../host/helpers.ts";
import { array, body, EXPANDING, FLOAT16_ONE, map, text, valueSharingBomb } from "./cbor-bodies.ts";
import { SECURITY_FIXTURES, watchedHost, type Answer, type Watched } from "./helpers.ts";

/** `measure` and `emit` (fixtures/floats.ts, fixtures/floats.py) on each engine; `sparse` in the JS ones. */
const ENVS = [
  { env: "floats-v8", module: "floats.ts", requirements: "package.json", engine: "v8" },
  { env: "floats-quickjs", module: "floats.ts", requirements: "package.json", engine: "quickjs" },
  { env: "floats-starlingmonkey", module: "floats.ts", requirements: "package.json", engine: "starlingmonkey" },
  { env: "floats-python", module: "floats.py", requirements: "requirements.txt", engine: undefined },
];
const MIB = 2 ** 20;
/** What decoding a refused body may cost a process, at most: the body itself and some slack, not what it would expand to. */
const RSS_GROWTH_BOUND = 64 * MIB;

let store: Store;
let host: Watched;

beforeAll(async () => {
  store = await tempStore();
  for (const { env, module, requirements, engine } of ENVS) {
    await createEnvironment({ name: env, requirements: join(SECURITY_FIXTURES, requirements), engine, store });
    await deploy({ store, env, modulePath: join(SECURITY_FIXTURES, module) });
  }
  // Deadlines far off: decoding a million rows on a busy machine must not become a 504.
  host = await watchedHost(store, { pool: { size: 1, deadlineMs: 60_000 } });
}, 1_200_000); // a cold cache builds the WASI interpreter first

afterAll(async () => {
  await host?.close();
  if (store) await rm(store.root, { recursive: true, force: true });
});

const rssOf = async (pid: number): Promise<number> => Number((await readFile(`/proc/${pid}/status`, "utf8")).match(/^VmRSS:\s+(\d+) kB/m)![1]) * 1024;
const measureRow = (x: unknown, extra: Record<string, unknown> = {}) => ({ x, maybe: null, xs: [1, 2], ...extra });
const GOOD = measureRow(1);

function expectInvalidRow(answer: Answer, row: number, problem: string): void {
  expect(answer.status).toBe(400);
  expect(answer.value.error.code).toBe("invalid_row");
  expect(answer.value.error.message).toBe(`row ${row}: ${problem} (rows must match the function's input schema: GET /v1/environments)`);
}

describe("CBOR that would expand", () => {
  it("refuses a 1 MiB value-sharing body (tags 28/29) with a 400; the executor's and the host's memory stay where they were", async () => {
    expect((await host.invoke("floats-v8", "measure", [GOOD], "cbor")).status).toBe(200);
    const { pid } = await executorOf(host.base, "floats-v8");
    const [executorBefore, hostBefore] = [await rssOf(pid), process.memoryUsage().rss];
    const bomb = valueSharingBomb(MIB);
    const answer = await host.post("/v1/invoke/floats-v8/measure", bomb, { format: "cbor" });
    expect(answer.status).toBe(400);
    expect(answer.value.error.code).toBe("bad_request");
    expect(answer.value.error.message).toMatch(/^body uses CBOR tag 28 \(value sharing\) at byte \d+, which is not accepted/);
    const [executorGrowth, hostGrowth] = [(await rssOf(pid)) - executorBefore, process.memoryUsage().rss - hostBefore];
    console.log(
      `[vial-figures] value-sharing body of ${(bomb.length / MIB).toFixed(2)} MiB (over 3e9 floats once decoded): 400; ` +
        `executor RSS ${executorGrowth >= 0 ? "+" : ""}${(executorGrowth / MIB).toFixed(1)} MiB, host ${hostGrowth >= 0 ? "+" : ""}${(hostGrowth / MIB).toFixed(1)} MiB`,
    );
    expect(executorGrowth).toBeLessThan(RSS_GROWTH_BOUND);
    expect(hostGrowth).toBeLessThan(RSS_GROWTH_BOUND);
    // The same executor goes on serving.
    expect((await host.invoke("floats-v8", "measure", [GOOD], "cbor")).value.rows).toEqual([{ y: 2, maybe_was_null: true, total: 3 }]);
    expect((await executorOf(host.base, "floats-v8")).pid).toBe(pid);
  });

  it("refuses a million empty rows for eight long optional fields (over 360 MB once every row holds them) before building them", async () => {
    const { pid } = await executorOf(host.base, "floats-v8");
    const executorBefore = await rssOf(pid);
    const rows = 1_000_000;
    const cborBody = new Uint8Array([...map(1), ...text("rows"), ...array(rows), ...new Uint8Array(rows).fill(0xa0)]);
    const jsonBody = `{"rows": [${new Array(rows).fill("{}").join(",")}]}`;
    for (const [bytes, format] of [[cborBody, "cbor"], [jsonBody, "json"]] as const) {
      const answer = await host.post("/v1/invoke/floats-v8/sparse", bytes, { format });
      expect(answer.status).toBe(400);
      expect(answer.value.error.code).toBe("bad_request");
      expect(answer.value.error.message).toMatch(
        new RegExp(`^1000000 rows would reach the function as at least \\d+ bytes of JSON \\(every row holds all 8 input fields\\), more than its memory limit of ${DEFAULT_POLICY.memoryLimitBytes} bytes: send fewer rows per call$`),
      );
    }
    // Decoding a million rows costs what it costs (about 85 bytes of heap per byte of empty CBOR maps);
    // the batch, at least `least` bytes and as much again in objects, was never built.
    const least = Number(/at least (\d+) bytes/.exec((await host.post("/v1/invoke/floats-v8/sparse", cborBody, { format: "cbor" })).value.error.message)![1]);
    const growth = (await rssOf(pid)) - executorBefore;
    console.log(`[vial-figures] a million empty rows (1 MiB CBOR, 3 MiB JSON) for 8 optional fields: 400 before a batch of ${(least / MIB).toFixed(0)}+ MiB; executor RSS +${(growth / MIB).toFixed(0)} MiB`);
    expect(growth).toBeLessThan(least);
    const fewer = await host.invoke("floats-v8", "sparse", [{}, { a_sparse_feature_with_a_rather_long_name_3: 0.5 }], "cbor");
    expect(fewer.value).toEqual({ rows: [{ present: 0 }, { present: 1 }], errors: [] });
  });

  it("refuses packed values and records the same way, naming the tag", async () => {
    for (const { tag, name, body: bytes } of EXPANDING) {
      const answer = await host.post("/v1/invoke/floats-v8/measure", bytes, { format: "cbor" });
      expect(answer.status).toBe(400);
      expect(answer.value.error.message).toContain(`CBOR tag ${tag} (${name})`);
    }
  });
});

for (const { env } of ENVS) {
  describe(`the float64 rule on ${env}`, () => {
    it("refuses 1e400 and -1e400 in JSON (Infinity once parsed) with the row and field", async () => {
      const good = JSON.stringify(GOOD);
      const x = await host.post(`/v1/invoke/${env}/measure`, `{"rows": [${good}, ${good}, {"x": 1e400, "xs": []}]}`);
      expectInvalidRow(x, 2, "field 'x': expected a finite float64, got Infinity");
      const xs = await host.post(`/v1/invoke/${env}/measure`, `{"rows": [${good}, {"x": 1, "xs": [0.5, -1e400]}]}`);
      expectInvalidRow(xs, 1, "field 'xs[1]': expected a finite float64, got -Infinity");
    });

    it("refuses NaN, ±Infinity and undefined in CBOR with the row and field", async () => {
      const cases: Array<[Record<string, unknown>, string]> = [
        [measureRow(NaN), "field 'x': expected a finite float64, got NaN"],
        [measureRow(Infinity), "field 'x': expected a finite float64, got Infinity"],
        [measureRow(-Infinity), "field 'x': expected a finite float64, got -Infinity"],
        [measureRow(undefined), "field 'x': missing"],
        [measureRow(1, { maybe: NaN }), "field 'maybe': expected a finite float64, got NaN"],
        [measureRow(1, { xs: [1, NaN] }), "field 'xs[1]': expected a finite float64, got NaN"],
      ];
      for (const [row, problem] of cases) expectInvalidRow(await host.invoke(env, "measure", [GOOD, GOOD, row], "cbor"), 2, problem);
    });

    it("hands an optional field sent as undefined to the guest as null, as if left out", async () => {
      const answer = await host.invoke(env, "measure", [measureRow(2, { maybe: undefined }), measureRow(3, { maybe: 0.5 })], "cbor");
      expect(answer.status).toBe(200);
      expect(answer.value).toEqual({ rows: [{ y: 4, maybe_was_null: true, total: 3 }, { y: 6, maybe_was_null: false, total: 3 }], errors: [] });
    });

    it("makes a NaN or ±Infinity output that row's error, naming what the function returned", async () => {
      const returned = env === "floats-python" ? ["NaN", "Infinity", "-Infinity"] : ["NaN", "Infinity", "-Infinity", "undefined"];
      const names: Record<string, string> = { NaN: "nan", Infinity: "inf", "-Infinity": "-inf", undefined: "undefined" };
      for (const format of ["json", "cbor"] as const) {
        const answer = await host.invoke(env, "emit", [{ what: "one" }, ...returned.map((r) => ({ what: names[r] }))], format);
        expect(answer.status).toBe(200);
        expect(answer.value.rows).toEqual([{ y: 1 }, ...returned.map(() => null)]);
        expect(answer.value.errors).toEqual(
          returned.map((r, i) => ({ row: i + 1, error: r === "undefined" ? "output field 'y': missing" : `output field 'y': expected a finite float64, got ${r}` })),
        );
      }
    });

    it("keeps the last of a repeated key, in JSON and CBOR alike", async () => {
      const json = await host.post(`/v1/invoke/${env}/measure`, '{"rows": [{"x": 1, "x": 5, "xs": [], "xs": [1]}]}');
      const twice = body([...array(1), ...map(4), ...text("x"), 0x01, ...text("x"), 0x05, ...text("xs"), ...array(0), ...text("xs"), ...array(1), ...FLOAT16_ONE]);
      const cbor = await host.post(`/v1/invoke/${env}/measure`, twice, { format: "cbor" });
      for (const answer of [json, cbor]) expect(answer.value).toEqual({ rows: [{ y: 10, maybe_was_null: true, total: 1 }], errors: [] });
    });
  });
}
