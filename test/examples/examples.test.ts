/**
 * The feature-platform examples as a user deploys them: each example's module and requirements built by the deploy
 * path into a real component, served by a real host on loopback, answering what the same function body computes
 * natively (the JS module imported into this process; a Python module run by native CPython through the same
 * dispatcher, with the same numpy and pandas versions).
 *
 * Floats agree within 1e-9, relative above 1 and absolute below: the sandbox's libm (wasi-libc's) and the native
 * one (glibc's, or the JS engine's) may round sin, cos and atan2 differently in the last bit, and numpy built for
 * the sandbox has no SIMD, so its sums may add in another order. Everything else is equal exactly.
 */
import { readFileSync } from "node:fs";
import { execFileSync } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Store } from "../../builds/store.ts";
import { nativeRequirements } from "../../builds/python/native-requirements.ts";
import { transaction_distance_from_home } from "../../examples/distance-from-home/features.ts";
import { REPO, deployModule, tempStore } from "../host/helpers.ts";
import { NATIVE_PYTHON, callNative, ensureDebianNumpy } from "../../testing/python.ts";
import { watchedHost, type Answer, type Watched } from "../security/helpers.ts";

const EXAMPLES = join(REPO, "examples");
const TOLERANCE = 1e-9;

/** An example as one environment: its folder, its requirements file and its module. */
const example = (folder: string, requirements: string, module: string) => ({
  requirements: join(EXAMPLES, folder, requirements),
  module: join(EXAMPLES, folder, module),
});

const DISTANCE_JS = example("distance-from-home", "package.json", "features.ts");
const DISTANCE_PY = example("distance-from-home", "requirements.txt", "transaction_distance_from_home.py");
const AMOUNT_VS_AVERAGE = example("amount-vs-average", "requirements.txt", "transaction_amount_vs_average.py");
const EMBEDDING = example("embedding-similarity", "requirements.txt", "user_query_embedding_similarity.py");
const BUCKETS = example("amount-buckets", "requirements.txt", "transaction_buckets.py");

type Row = Record<string, any>;

const okRows = (answer: Answer): Row[] => {
  expect(answer.status, JSON.stringify(answer.value)).toBe(200);
  expect(answer.value.errors).toEqual([]);
  return answer.value.rows as Row[];
};

/** Equal, but for floats, which agree within TOLERANCE (see above). */
function expectClose(got: unknown, want: unknown, path = "answer"): void {
  if (typeof want === "number" && !Number.isInteger(want)) {
    expect(typeof got, path).toBe("number");
    expect(Math.abs((got as number) - want), `${path}: ${got} against ${want}`).toBeLessThanOrEqual(TOLERANCE * Math.max(1, Math.abs(want)));
  } else if (Array.isArray(want)) {
    expect((got as unknown[]).length, path).toBe(want.length);
    want.forEach((w, i) => expectClose((got as unknown[])[i], w, `${path}[${i}]`));
  } else if (want !== null && typeof want === "object") {
    expect(Object.keys(got as object).sort(), path).toEqual(Object.keys(want).sort());
    for (const [k, w] of Object.entries(want)) expectClose((got as Row)[k], w, `${path}.${k}`);
  } else expect(got, path).toEqual(want);
}

let store: Store;
let host: Watched;

beforeAll(async () => {
  ensureDebianNumpy(); // the native side of the numpy example: Debian's numpy is the sandbox's version, 1.24.2
  store = await tempStore();
  await deployModule(store, "distance-js", DISTANCE_JS.requirements, DISTANCE_JS.module);
  await deployModule(store, "distance-py", DISTANCE_PY.requirements, DISTANCE_PY.module);
  await deployModule(store, "amount-vs-average", AMOUNT_VS_AVERAGE.requirements, AMOUNT_VS_AVERAGE.module);
  await deployModule(store, "embedding-similarity", EMBEDDING.requirements, EMBEDDING.module);
  host = await watchedHost(store, { pool: { size: 1, deadlineMs: 60_000 } });
}, 30 * 60_000); // a cold cache builds the interpreter, numpy and their links first

afterAll(async () => {
  await host?.close();
  if (store) await rm(store.root, { recursive: true, force: true });
});

/** Card transactions against the user's home: at home, across a city, across a continent, across the date line. */
const trips: Row[] = [
  { request: { lat: 37.7749, long: -122.4194 }, user_home: { lat: 37.7749, long: -122.4194 } },
  { request: { lat: 37.7833, long: -122.4167 }, user_home: { lat: 37.7749, long: -122.4194 } },
  { request: { lat: 40.7128, long: -74.006 }, user_home: { lat: 37.7749, long: -122.4194 } },
  { request: { lat: 52.52, long: 13.405 }, user_home: { lat: 48.8566, long: 2.3522 } },
  { request: { lat: -17.7134, long: 178.065 }, user_home: { lat: -13.759, long: -172.1046 } },
  { request: { lat: -33.8688, long: 151.2093 }, user_home: { lat: 51.5074, long: -0.1278 } },
];

describe("distance from home (named inputs, row mode)", () => {
  it("JS: the component answers what the module computes imported here", async () => {
    const got = okRows(await host.invoke("distance-js", "transaction_distance_from_home", trips));
    expectClose(got, transaction_distance_from_home.run(trips as never));
    // The body is right, not only the same: none at home, about 4,130 km from San Francisco to New York.
    expect(got[0]!.dist_km).toBe(0);
    expect(got[2]!.dist_km).toBeGreaterThan(4_100);
    expect(got[2]!.dist_km).toBeLessThan(4_160);
  });

  it("Python: the component answers what native CPython computes, and what the JS version does", async () => {
    const got = okRows(await host.invoke("distance-py", "transaction_distance_from_home", trips));
    expectClose(got, callNative(DISTANCE_PY.module, "transaction_distance_from_home", trips).rows);
    expectClose(got, transaction_distance_from_home.run(trips as never));
  });
});

/** Transactions with the user's stored 30-day figures: float32 averages, a user with none, a first payment. */
const payments: Row[] = [
  {
    transaction: { amount: 182.4, transaction_ts: "2026-12-06T20:34:49.123456Z" },
    user_stats: { avg_amount_30d: 61.3, txn_count_30d: 14, last_txn_ts: "2026-12-06T08:00:00Z" },
  },
  {
    transaction: { amount: 12.5, transaction_ts: "2026-12-07T01:15:00+02:00" },
    user_stats: { avg_amount_30d: 48.75, txn_count_30d: 3, last_txn_ts: "2026-11-30T23:59:59.5-05:00" },
  },
  { transaction: { amount: 0, transaction_ts: "2026-12-06T12:00:00Z" }, user_stats: { avg_amount_30d: 0, txn_count_30d: 0, last_txn_ts: null } },
  { transaction: { amount: 999.99, transaction_ts: "2026-12-06T12:00:00Z" }, user_stats: { avg_amount_30d: 0.1, txn_count_30d: 2_147_483_647 } },
];

describe("amount against the user's average (named inputs, columns mode: Feast's python mode)", () => {
  it("answers what native CPython computes, in JSON and CBOR alike, with float32 outputs rounded", async () => {
    const got = okRows(await host.invoke("amount-vs-average", "transaction_amount_vs_average", payments));
    expectClose(got, callNative(AMOUNT_VS_AVERAGE.module, "transaction_amount_vs_average", payments).rows);
    expect(okRows(await host.invoke("amount-vs-average", "transaction_amount_vs_average", payments, "cbor"))).toEqual(got);
    for (const row of got) expect(Math.fround(row.amount_to_avg_ratio)).toBe(row.amount_to_avg_ratio);
    expect(got.map((r) => r.is_first_txn_30d)).toEqual([false, false, true, false]);
    // A timestamp's zone is only how it was written: 01:15 at +02:00 is 23:15 UTC the day before.
    expect(got[1]!.seconds_since_last_txn).toBe(5 * 86_400 + 18 * 3_600 + 15 * 60 + 0.5);
    expect(got[2]!.seconds_since_last_txn).toBeNull();
  });
});

/** Query embeddings against stored user embeddings (float32, as stored): alike, opposite, unrelated, none stored. */
function embeddingRows(): Row[] {
  let seed = 3;
  const next = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31 - 0.5;
  const vector = () => Array.from({ length: 16 }, () => Math.fround(next()));
  const query = vector();
  return [
    { request: { query_embedding: query }, user_embedding: { user_embedding: query.map((x) => Math.fround(x * 3)) } },
    { request: { query_embedding: query }, user_embedding: { user_embedding: query.map((x) => -x) } },
    { request: { query_embedding: vector() }, user_embedding: { user_embedding: vector() } },
    { request: { query_embedding: vector() }, user_embedding: { user_embedding: null } },
  ];
}

describe("embedding similarity (named inputs, columns mode, numpy)", () => {
  it("answers what native numpy computes", async () => {
    const rows = embeddingRows();
    const got = okRows(await host.invoke("embedding-similarity", "user_query_embedding_similarity", rows));
    expectClose(got, callNative(EMBEDDING.module, "user_query_embedding_similarity", rows).rows);
    expect(got[0]!.cosine_similarity).toBeCloseTo(1, 6);
    expect(got[1]!.cosine_similarity).toBeCloseTo(-1, 6);
    expect(got[3]!.cosine_similarity).toBe(-1);
  });
});

/**
 * Why the pandas example cannot be built here, if it cannot: vial builds pandas for the sandbox only from a recipe
 * (builds/python/recipes), as it does numpy.
 */
function pandasUnavailable(): string | undefined {
  const lines = readFileSync(BUCKETS.requirements, "utf8").split("\n").map((l) => l.trim()).filter((l) => l && !l.startsWith("#"));
  try {
    if (nativeRequirements(lines).some((r) => r.recipe.name === "pandas")) return undefined;
    return "this checkout has no pandas recipe in builds/python/recipes";
  } catch (error) {
    return `the pandas recipe does not take ${lines.join(", ")}: ${(error as Error).message}`;
  }
}

/** pandas 2.2.3 and its pure-Python dependencies for native CPython (beside Debian's numpy 1.24.2). */
function installNativePandas(dir: string): void {
  const pip = ["-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--root-user-action=ignore", "--no-compile", "--no-deps", "--retries", "0"];
  execFileSync(NATIVE_PYTHON, [...pip, "--target", dir, "pandas==2.2.3", "python-dateutil", "pytz", "tzdata", "six"], { stdio: "pipe" });
}

/** Runs `run` with native CPython finding packages in `dir` first. */
function withPythonPath<T>(dir: string, run: () => T): T {
  const before = process.env.PYTHONPATH;
  process.env.PYTHONPATH = dir;
  try {
    return run();
  } finally {
    if (before === undefined) delete process.env.PYTHONPATH;
    else process.env.PYTHONPATH = before;
  }
}

/** Transactions through a week: every bucket and its edges, night and day, weekdays and the weekend, in any zone. */
const transactions: Row[] = [
  { amount: 0, transaction_ts: "2026-12-05T23:30:00Z" }, // a Saturday, at night
  { amount: 10, transaction_ts: "2026-12-06T05:59:59.999999Z" },
  { amount: 10.01, transaction_ts: "2026-12-07T06:00:00Z" }, // a Monday morning
  { amount: 49.99, transaction_ts: "2026-12-07T12:30:00+09:00" },
  { amount: 200, transaction_ts: "2026-12-08T21:59:59Z" },
  { amount: 640.5, transaction_ts: "2026-12-09T22:00:00Z" },
  { amount: 1000, transaction_ts: "2026-12-10T18:45:00-08:00" }, // Friday 02:45 UTC
  { amount: 25_000, transaction_ts: "2026-12-11T14:00:00Z" },
];

const PANDAS_UNAVAILABLE = pandasUnavailable();

describe.skipIf(PANDAS_UNAVAILABLE)(`amount and hour buckets (pandas mode)${PANDAS_UNAVAILABLE ? ` - skipped: ${PANDAS_UNAVAILABLE}` : ""}`, () => {
  let pandasStore: Store;
  let pandasHost: Watched;
  let nativeSite: string;

  beforeAll(async () => {
    nativeSite = await mkdtemp(join(tmpdir(), "vial-native-pandas-"));
    installNativePandas(nativeSite);
    pandasStore = await tempStore();
    await deployModule(pandasStore, "amount-buckets", BUCKETS.requirements, BUCKETS.module);
    pandasHost = await watchedHost(pandasStore, { pool: { size: 1, deadlineMs: 60_000 } });
  }, 90 * 60_000); // a cold cache builds pandas and links it into the interpreter first

  afterAll(async () => {
    await pandasHost?.close();
    if (pandasStore) await rm(pandasStore.root, { recursive: true, force: true });
    if (nativeSite) await rm(nativeSite, { recursive: true, force: true });
  });

  it("answers what native pandas 2.2.3 computes with pd.cut and the .dt accessors", async () => {
    const got = okRows(await pandasHost.invoke("amount-buckets", "transaction_buckets", transactions));
    const native = withPythonPath(nativeSite, () => callNative(BUCKETS.module, "transaction_buckets", transactions));
    expect(native.errors).toEqual([]);
    expect(got).toEqual(native.rows);
    expect(got.map((r) => r.amount_bucket)).toEqual(["under_10", "under_10", "10_to_50", "10_to_50", "50_to_200", "200_to_1000", "200_to_1000", "over_1000"]);
    expect(got.map((r) => r.hour_of_day)).toEqual([23, 5, 6, 3, 21, 22, 2, 14]);
    expect(got.map((r) => r.is_weekend)).toEqual([true, true, false, false, false, false, false, false]);
  });
});
