/**
 * numpy inside the sandbox: built from source by its recipe, linked into the
 * interpreter, deployed and served like any environment. Results are compared
 * with Debian's native numpy on the same rows; numpy's own tests run inside
 * the component; the memory cap and the deadline hold during numpy work.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { Store } from "../../builds/store.ts";
import { languageRuntime, unversioned } from "../../runtime/languages.ts";
import { deployModule, tempStore } from "../host/helpers.ts";
import { OWN_TESTS, runOwnTests, suiteModules } from "./own-tests.ts";
import { watchedHost, type Answer, type Watched } from "../security/helpers.ts";
import { FIXTURES, ROOT, callNative, ensureDebianNumpy, loadComponent, pytestWheel, type Guest } from "../../testing/python.ts";

const EXAMPLE = join(ROOT, "examples", "python", "numpy-features");
const FEATURES = join(EXAMPLE, "numpy_features.py");
const NUMPY_FIXTURES = join(FIXTURES, "numpy");
const SUITE = join(OWN_TESTS, "numpy_suite.py");
const MEMORY_MIB = 96;

let store: Store;
let host: Watched;
const versions: Record<string, string> = {};

async function guestOf(env: string): Promise<Guest> {
  const loaded = await loadComponent(await readFile(join(store.versionDir(env, versions[env]!), "component.wasm")));
  const guest = await loaded.instantiate();
  guest.reseed(crypto.getRandomValues(new Uint8Array(32)));
  return guest;
}

beforeAll(async () => {
  ensureDebianNumpy();
  store = await tempStore();
  const suiteRequirements = join(store.root, "suite-requirements.txt");
  await writeFile(suiteRequirements, `numpy==1.24.2\n${await pytestWheel()}\n`);
  versions["np-features"] = await deployModule(store, "np-features", join(EXAMPLE, "requirements.txt"), FEATURES);
  versions["np-checks"] = await deployModule(store, "np-checks", join(NUMPY_FIXTURES, "requirements.txt"), join(NUMPY_FIXTURES, "numpy_checks.py"));
  versions["np-suite"] = await deployModule(store, "np-suite", suiteRequirements, SUITE);
  host = await watchedHost(store, { pool: { size: 1, deadlineMs: 60_000 }, environments: { "np-checks": { memoryMiB: MEMORY_MIB } } });
}, 30 * 60_000); // a cold cache builds the interpreter and numpy first

afterAll(async () => {
  await host?.close();
  if (store) await rm(store.root, { recursive: true, force: true });
});

/** Rows with the shapes a feature engineer sends: embeddings, amount histories, empty ones. */
function featureRows(n: number): unknown[] {
  let seed = 7;
  const next = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  return Array.from({ length: n }, (_, i) => ({
    embedding: Array.from({ length: 8 }, () => next() * 2 - 1),
    amounts: Array.from({ length: i % 5 === 0 ? 0 : 1 + (i % 17) }, () => Math.round(next() * 40_000) / 100),
  }));
}

const okRows = (answer: Answer) => {
  expect(answer.status).toBe(200);
  expect(answer.value.errors).toEqual([]);
  return answer.value.rows as Record<string, unknown>[];
};

/** Equal up to rounding where summation order may differ; integers exactly. */
function expectClose(got: unknown, want: unknown): void {
  if (typeof want === "number" && !Number.isInteger(want)) expect(got as number).toBeCloseTo(want, 10);
  else if (Array.isArray(want)) want.forEach((w, i) => expectClose((got as unknown[])[i], w));
  else if (want && typeof want === "object") for (const [k, w] of Object.entries(want)) expectClose((got as Record<string, unknown>)[k], w);
  else expect(got).toEqual(want);
}

describe("numpy in a Python environment", () => {
  it("gives native numpy's results for dot products, norms, percentiles and int64 counts", async () => {
    const rows = featureRows(60);
    const got = okRows(await host.invoke("np-features", "embedding_features", rows));
    const native = callNative(FEATURES, "embedding_features", rows);
    expect(native.errors).toEqual([]);
    expectClose(got, native.rows);
    for (const row of got) {
      expect(Number.isInteger(row.large_count)).toBe(true);
      expect(Number.isInteger(row.total_cents)).toBe(true);
    }
    expect(got.some((r) => (r.similarity as number) !== 0 && (r.p90_amount as number) > 0)).toBe(true);
  });

  it("builds arrays from a whole batch of rows (batch mode) as native numpy does", async () => {
    const rows = [[1, 2, 3], [4, 5, 6.5], [7, 8, -9], [0, 0, 0]].map((values) => ({ values }));
    const got = okRows(await host.invoke("np-features", "standardize", rows));
    expectClose(got, callNative(FEATURES, "standardize", rows).rows);
  });

  it("imports nothing beyond what Python environments are granted", async () => {
    const manifest = await store.readManifest("np-features", versions["np-features"]!);
    const { allowlist } = languageRuntime("python");
    expect(manifest.imports.length).toBeGreaterThan(0);
    expect(manifest.imports.filter((name) => !allowlist.includes(unversioned(name)))).toEqual([]);
    expect(manifest.dependencies.map((d) => `${d.name}==${d.version}`)).toEqual(["numpy==1.24.2"]);
  });

  it("gives each instance its own numpy random state", async () => {
    const draw = (g: Guest) => JSON.parse(g.call("draw", "[{}]")).rows[0].r;
    expect(draw(await guestOf("np-checks"))).not.toBe(draw(await guestOf("np-checks")));
  });

  it("holds the memory cap during numpy allocations, then serves again", async () => {
    const answer = await host.invoke("np-checks", "hog", [{ mib: 8 }, { mib: 4 * MEMORY_MIB }]);
    expect(answer.status).toBe(500);
    expect(answer.value.error.code).toBe("memory_limit");
    expect(okRows(await host.invoke("np-checks", "inverse", [{ x: 4 }]))).toEqual([{ y: 0.25 }]);
  });

  it("holds the deadline during numpy work, then serves again", async () => {
    const answer = await host.post("/v1/invoke/np-checks/spin", { rows: [{ n: 64 }] }, { headers: { "x-vial-deadline-ms": "500" } });
    expect(answer.status).toBe(504);
    expect(answer.value.error.code).toBe("deadline_exceeded");
    expect(okRows(await host.invoke("np-checks", "inverse", [{ x: 2 }]))).toEqual([{ y: 0.5 }]);
  });
});

describe("numpy's own tests, inside the component", () => {
  const MODULES = suiteModules(SUITE);
  let suite: Guest;
  beforeAll(async () => {
    suite = await guestOf("np-suite");
  });

  it("lists the suite's modules", () => expect(MODULES).toHaveLength(12));

  it.each(MODULES)("%s passes", (module) => {
    expect(runOwnTests(suite, module).passed).toBeGreaterThan(20);
  }, 600_000);
});
