/**
 * The same version, the same rows, two engines: its bundle in a V8 isolate
 * and its QuickJS component must answer alike. Rows are generated (every
 * field type, Unicode text, edge numbers) and checked by the hundred.
 * Known differences are not generated here (docs/design.md lists them): V8
 * has Intl (asserted in test/npm-compat.test.ts), and errors an engine words
 * itself, not the user's or the SDK's, read differently.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import fc from "fast-check";
import { join } from "node:path";
import { rm } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import type { Store } from "../../builds/store.ts";
import { createEnvironment } from "../../builds/env-create.ts";
import { deploy } from "../../builds/deploy.ts";
import type { RunningGuest } from "../../runtime/instantiate.ts";
import { tempStore } from "../store-snapshot.ts";
import { callRows, loadCurrent } from "../load-version.ts";

const HERE = fileURLToPath(new URL(".", import.meta.url));
const CONFORMANCE = join(HERE, "..", "conformance", "fixtures");
const FUZZBALL = join(HERE, "..", "fixtures", "npm", "fuzzball");
const RUNS = 200;

let store: Store;
const engines: Record<string, { v8: RunningGuest; quickjs: RunningGuest }> = {};

async function both(env: string, requirements: string, module: string) {
  await createEnvironment({ name: env, requirements, engine: "v8", store });
  await deploy({ store, env, modulePath: module });
  engines[env] = { v8: (await loadCurrent(store, env, "v8")).instance, quickjs: (await loadCurrent(store, env, "component")).instance };
}

beforeAll(async () => {
  store = await tempStore();
  await both("conf", join(CONFORMANCE, "package.json"), join(CONFORMANCE, "conformance.ts"));
  await both("fuzz", join(FUZZBALL, "package.json"), join(FUZZBALL, "features.ts"));
}, 300_000);

afterAll(async () => {
  for (const { v8, quickjs } of Object.values(engines)) {
    v8.stop();
    quickjs.stop();
  }
  if (store) await rm(store.root, { recursive: true, force: true });
});

/** Runs the batch on both engines of `env` and expects the same envelope. */
async function same(env: string, fn: string, rows: unknown[]) {
  const [a, b] = await Promise.all([callRows(engines[env]!.v8, fn, rows), callRows(engines[env]!.quickjs, fn, rows)]);
  expect(a).toEqual(b);
  return a;
}

const text = fc.oneof(fc.string(), fc.string({ unit: "grapheme" }), fc.string({ unit: "binary" }));
const int64 = fc.oneof(fc.integer(), fc.constantFrom(0, -0, 2 ** 53 - 1, -(2 ** 53 - 1)), fc.maxSafeInteger());
const float64 = fc.double({ noNaN: true, noDefaultInfinity: true });
const bytes = fc.uint8Array({ maxLength: 40 }).map((b) => Buffer.from(b).toString("base64"));
const maybe = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: null });

describe("v8 and quickjs answer alike", () => {
  it("mirror: every field type, any value", async () => {
    const row = fc.record({
      s: text,
      i: int64,
      f: float64,
      b: fc.boolean(),
      raw: bytes,
      xs: fc.array(int64),
      names: fc.array(text),
      blobs: fc.array(bytes),
      grid: fc.array(fc.array(float64)),
      maybe: maybe(text),
      maybe_raw: maybe(bytes),
      maybe_xs: maybe(fc.array(int64)),
    });
    await fc.assert(fc.asyncProperty(fc.array(row, { maxLength: 20 }), async (rows) => void (await same("conf", "mirror", rows))), { numRuns: RUNS });
  });

  it("inverse and ranks: per-row errors and batch handlers", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.record({ x: fc.oneof(float64, fc.constant(0)) }), { maxLength: 30 }), async (rows) => {
        await same("conf", "inverse", rows);
        await same("conf", "ranks", rows.map(({ x }) => ({ score: x })));
      }),
      { numRuns: RUNS },
    );
  });

  it("fuzzball: string similarity over any Unicode text", async () => {
    const pair = fc.record({ a: text, b: text });
    await fc.assert(fc.asyncProperty(fc.array(pair, { maxLength: 10 }), async (rows) => void (await same("fuzz", "scores", rows))), { numRuns: RUNS });
  });

  it("wrong_output: the same output checks, word for word", async () => {
    const out = await same("conf", "wrong_output", [
      { x: 1, how: "ok" },
      { x: 2, how: "type" },
      { x: 3, how: "missing" },
    ]);
    expect(out.errors.map((e) => e.row)).toEqual([1, 2]);
  });
});
