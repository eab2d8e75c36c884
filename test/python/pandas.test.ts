/**
 * pandas inside the sandbox: built from source by its recipe (meson, against
 * the numpy vial builds), linked into the interpreter, deployed and served like
 * any environment. Feature code's answers are compared with native pandas
 * 2.2.3 (its wheel, with Debian's numpy 1.24.2) on the same rows; pandas' own
 * tests for the areas feature code uses run inside the component.
 */
import { execFileSync } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { basename, dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Store } from "../../builds/store.ts";
import { deployModule, tempStore } from "../host/helpers.ts";
import { OWN_TESTS, runOwnTests, suiteModules } from "./own-tests.ts";
import { watchedHost, type Answer, type Watched } from "../security/helpers.ts";
import { FIXTURES, NATIVE_PYTHON, ROOT, ensureDebianNumpy, loadComponent, pytestWheel, type Guest, type Loaded } from "../../testing/python.ts";

const PANDAS_FIXTURES = join(FIXTURES, "pandas");
const FEATURES = join(PANDAS_FIXTURES, "pandas_features.py");
const MODES = join(FIXTURES, "sdk_pandas.py");
const SUITE = join(OWN_TESTS, "pandas_suite.py");

let store: Store;
let host: Watched;
let nativeSite: string;
const versions: Record<string, string> = {};

/** pandas 2.2.3's wheel and its pure-Python dependencies from pip's indexes, for the machine's python3. */
async function nativePandas(): Promise<string> {
  ensureDebianNumpy();
  const dir = await mkdtemp(join(tmpdir(), "vial-native-pandas-"));
  const pip = ["-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--root-user-action=ignore", "--no-compile", "--no-deps"];
  execFileSync("/usr/bin/python3.11", [...pip, "--target", dir, "pandas==2.2.3", "python-dateutil", "pytz", "tzdata", "six"], { stdio: "pipe" });
  return dir;
}

/** What `fn` of a module gives for `rows` with native CPython and native pandas, through the same dispatcher. */
function nativeOutcome(fn: string, rows: unknown[], module = FEATURES): { ok: true; result: Envelope } | { ok: false; error: string } {
  const script = [
    "import sys, json, importlib",
    `sys.path[:0] = [${JSON.stringify(nativeSite)}, ${JSON.stringify(join(ROOT, "guest-sdk", "python"))}, ${JSON.stringify(dirname(module))}]`,
    "import vial._runtime as rt",
    `importlib.import_module(${JSON.stringify(basename(module, ".py"))})`,
    `ok, out = rt.call(${JSON.stringify(fn)}, sys.stdin.read())`,
    "print(json.dumps({'ok': ok, 'out': out}))",
  ].join("\n");
  const { ok, out } = JSON.parse(execFileSync(NATIVE_PYTHON, ["-B", "-c", script], { input: JSON.stringify(rows), encoding: "utf8" }));
  return ok ? { ok, result: JSON.parse(out) } : { ok, error: out };
}

type Envelope = { rows: Record<string, unknown>[]; errors: unknown[] };

function callNative(fn: string, rows: unknown[], module = FEATURES): Envelope {
  const outcome = nativeOutcome(fn, rows, module);
  if (!outcome.ok) throw new Error(`natively, ${fn} failed its batch: ${outcome.error}`);
  return outcome.result;
}

async function component(env: string): Promise<{ bytes: Uint8Array }> {
  const path = join(store.versionDir(env, versions[env]!), "component.wasm");
  return { bytes: await readFile(path) };
}

beforeAll(async () => {
  nativeSite = await nativePandas();
  store = await tempStore();
  const dir = await mkdtemp(join(tmpdir(), "vial-pandas-req-"));
  const features = join(dir, "features.txt");
  await writeFile(features, "numpy==1.24.2\npandas==2.2.3\n");
  // numpy is left out here: pandas needs it, so vial builds it first and installs it too.
  const suite = join(dir, "suite.txt");
  await writeFile(suite, `pandas==2.2.3\n${await pytestWheel()}\n`);
  versions["pd-features"] = await deployModule(store, "pd-features", features, FEATURES);
  versions["pd-suite"] = await deployModule(store, "pd-suite", suite, SUITE);
  versions["pd-modes"] = await deployModule(store, "pd-modes", features, MODES);
  host = await watchedHost(store, { pool: { size: 1, deadlineMs: 60_000 } });
}, 60 * 60_000); // a cold cache builds the interpreter, numpy and pandas first

afterAll(async () => {
  await host?.close();
  if (store) await rm(store.root, { recursive: true, force: true });
  if (nativeSite) await rm(nativeSite, { recursive: true, force: true });
});

/** Transactions as a feature platform sends them: users with several rows, unknown merchants, offsets, blank notes. */
function transactions(n: number): Record<string, unknown>[] {
  let seed = 11;
  const next = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const notes = ["  Weekly  GROCERIES ", "flight REFUND pending", "", "coffee", "refund: double charge\tcard", "new laptop"];
  return Array.from({ length: n }, (_, i) => {
    const day = 1 + Math.floor(next() * 27);
    const offset = ["Z", "+02:00", "-05:30", ".125Z"][i % 4];
    return {
      user: `u${i % 7}`,
      merchant: `m${1 + Math.floor(next() * 5)}`,
      amount: Math.round(next() * 50_000) / 100,
      ts: `2024-0${1 + (i % 3)}-${String(day).padStart(2, "0")}T${String(i % 24).padStart(2, "0")}:${String((i * 7) % 60).padStart(2, "0")}:00${offset}`,
      note: notes[i % notes.length],
    };
  });
}

const okRows = (answer: Answer) => {
  expect(answer.status, JSON.stringify(answer.value)).toBe(200);
  expect(answer.value.errors).toEqual([]);
  return answer.value.rows as Record<string, unknown>[];
};

/** Equal up to the last bits of floating point (summation order may differ); everything else exactly. */
function expectClose(got: unknown, want: unknown): void {
  if (typeof want === "number" && !Number.isInteger(want)) expect(got as number).toBeCloseTo(want, 9);
  else if (Array.isArray(want)) {
    expect((got as unknown[]).length).toBe(want.length);
    want.forEach((w, i) => expectClose((got as unknown[])[i], w));
  } else if (want && typeof want === "object") {
    expect(Object.keys(got as object).sort()).toEqual(Object.keys(want).sort());
    for (const [k, w] of Object.entries(want)) expectClose((got as Record<string, unknown>)[k], w);
  } else expect(got).toEqual(want);
}

describe("pandas in a Python environment", () => {
  it("gives native pandas' results for merge, groupby, datetime and string features of a batch", async () => {
    const rows = transactions(80);
    const native = callNative("transaction_features", rows);
    expect(native.errors).toEqual([]);
    const got = okRows(await host.invoke("pd-features", "transaction_features", rows));
    expectClose(got, native.rows);
    expect(new Set(got.map((r) => r.category))).toContain("unknown");
    expect(got.some((r) => r.has_refund === 1 && (r.seconds_since_prev as number) > 0)).toBe(true);
  });

  it("gives native pandas' results for concat, loc, to_dict and the rest of a batch summary", async () => {
    const rows = transactions(25);
    const got = okRows(await host.invoke("pd-features", "batch_summary", rows));
    expectClose(got, callNative("batch_summary", rows).rows);
    expect(got[0]!.users).toBe(7);
  });

  it("gives native pandas' results for rolling, ewm and rank over a Series per row", async () => {
    const rows = ["1,5,3,9,2", "4", "10,10,10", "0.5,-2,7.25,3,3,8"].map((amounts) => ({ amounts }));
    expectClose(okRows(await host.invoke("pd-features", "series_features", rows)), callNative("series_features", rows).rows);
  });

  it("gives native pandas' local times by zone name, through pytz, dateutil and zoneinfo, across daylight saving changes", async () => {
    const rows = ["2026-03-08T06:59:59Z", "2026-03-08T07:00:00Z", "2026-03-29T00:30:00Z", "2026-03-29T01:30:00Z", "2026-11-01T05:30:00Z", "2026-11-01T06:30:00Z", "2026-11-01T09:30:00Z", "1999-12-31T23:59:59.5Z"].map((ts) => ({ ts }));
    const native = callNative("local_times", rows);
    expect(native.errors).toEqual([]);
    const got = okRows(await host.invoke("pd-features", "local_times", rows));
    expect(got).toEqual(native.rows);
    // The changes are there: New York's and Paris's clocks jump an hour in March, and the Pacific offset moves back in November.
    expect(got.map((r) => r.new_york_hour)).toEqual([1, 3, 20, 21, 1, 1, 4, 18]);
    expect(got.map((r) => r.paris_hour)).toEqual([7, 8, 1, 3, 6, 7, 10, 0]);
    expect(got.map((r) => r.pacific_offset)).toEqual([-8, -8, -7, -7, -7, -7, -8, -8]);
  });

  it("pandas mode: every type arrives as its dtype and comes back, named inputs are a DataFrame each, as native pandas does", async () => {
    const every = {
      i: -3, i32: 2 ** 31 - 1, f: 0.5, f32: 0.1, b: true, s: "héllo", raw: "AAEC", ts: "2026-12-06T20:34:49.123456Z",
      xs: [1, 2], m: { k: "v" }, st: { a: 3 }, nf: "NaN", oi: null, oi32: null, of: null, of32: null, ob: null, os: null, ots: null, onf: "-Infinity",
    };
    const other = { ...every, i: 4, f32: 2.5, ts: "1999-01-01T00:00:00.000000+05:00", xs: [], m: {}, oi: 5, of32: 0.5, ob: false, ots: "2000-01-01T00:00:00.000001Z", onf: 1.5 };
    const echo = await host.post("/v1/invoke/pd-modes/frame_echo", { rows: [every, other] }, { headers: { "x-vial-non-finite": "string" } });
    expect(echo.value).toEqual(callNative("frame_echo", [every, other], MODES));
    expect(okRows(echo)[0]!.dtypes).toMatchObject({ i32: "int32", f32: "float32", ts: "datetime64[ns, UTC]", oi: "Int64", ots: "datetime64[ns, UTC]" });
    const at = (t: string) => `2026-12-06T${t}.000000Z`;
    const named = [
      { request: { amount: 5, at: at("01:00:00") }, user_stats: { avg_amount: 2 } },
      { request: { amount: 50, at: at("13:30:00") }, user_stats: { avg_amount: null } },
      { request: { amount: 500, at: at("23:59:59") }, user_stats: { avg_amount: 1000 } },
    ];
    expect((await host.invoke("pd-modes", "amounts", named)).value).toEqual(callNative("amounts", named, MODES));
  });

  it("pandas mode: a frame of the wrong shape fails its batch, a NaN in a required float fails its row, as native pandas does", async () => {
    const rows = (how: string) => [1, 2, 3].map((x) => ({ x, how }));
    for (const how of ["ok", "nan"]) expect((await host.invoke("pd-modes", "shapes", rows(how))).value, how).toEqual(callNative("shapes", rows(how), MODES));
    for (const how of ["series", "short", "missing", "twice"]) {
      const native = nativeOutcome("shapes", rows(how), MODES);
      expect(native.ok, how).toBe(false);
      const answer = await host.invoke("pd-modes", "shapes", rows(how));
      expect(answer.status, how).toBe(422);
      expect((answer.value as { error: { message: string } }).error.message).toContain(native.ok ? "" : native.error);
    }
  });

  it("installs pandas with numpy and pandas' own dependencies, and nothing native beside them", async () => {
    const manifest = await store.readManifest("pd-features", versions["pd-features"]!);
    const names = manifest.dependencies.map((d) => d.name);
    expect(names).toEqual(expect.arrayContaining(["numpy", "pandas", "python-dateutil", "pytz", "tzdata", "six"]));
    expect(manifest.dependencies.find((d) => d.name === "pandas")?.version).toBe("2.2.3");
    // numpy came in for pandas: the suite's requirements do not name it.
    const suite = await store.readManifest("pd-suite", versions["pd-suite"]!);
    expect(suite.dependencies.find((d) => d.name === "numpy")?.version).toBe("1.24.2");
  });

  it("measures a pandas component: size, instantiate, first and warm calls", async () => {
    const { bytes } = await component("pd-features");
    let t = performance.now();
    const loaded: Loaded = await loadComponent(bytes);
    const loadMs = performance.now() - t;
    const instantiateMs: number[] = [];
    let guest: Guest | undefined;
    for (let i = 0; i < 3; i++) {
      t = performance.now();
      guest = await loaded.instantiate();
      instantiateMs.push(performance.now() - t);
    }
    guest!.reseed(crypto.getRandomValues(new Uint8Array(32)));
    const call = () => JSON.parse(guest!.call("small", JSON.stringify([{ x: 1.5 }])));
    t = performance.now();
    const first = call();
    const firstMs = performance.now() - t;
    expect(first).toEqual({ rows: [{ y: 9 }], errors: [] });
    const warm: number[] = [];
    for (let i = 0; i < 200; i++) {
      t = performance.now();
      call();
      warm.push(performance.now() - t);
    }
    warm.sort((a, b) => a - b);
    const ms = (x: number) => `${x.toFixed(2)} ms`;
    console.log(
      `pandas component: ${(bytes.byteLength / 2 ** 20).toFixed(1)} MiB; transpile+compile ${ms(loadMs)}; ` +
        `instantiate ${instantiateMs.map(ms).join(", ")}; first call ${ms(firstMs)}; ` +
        `warm call p50 ${ms(warm[100]!)}, p90 ${ms(warm[180]!)}`,
    );
  }, 300_000);
});

describe("pandas' own tests, inside the component", () => {
  const MODULES = suiteModules(SUITE);
  let suite: Guest;
  beforeAll(async () => {
    suite = await (await loadComponent((await component("pd-suite")).bytes)).instantiate();
    suite.reseed(crypto.getRandomValues(new Uint8Array(32)));
  }, 300_000);

  it("lists the suite's modules", () => expect(MODULES).toHaveLength(14));

  it.each(MODULES)("%s passes", (module) => {
    expect(runOwnTests(suite, module).passed).toBeGreaterThan(50);
  }, 900_000);
});
