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
  expect(first!.map((f) => f.name)).toEqual(["batch_fails", "chatty", "draw", "hog", "inverse", "mirror", "ranks", "spin", "wrong_output"]);
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
      expect(errorOf(answer).message).toMatch(/^row 1: field 'xs'/);
      const unknown = await invoke("nothing", []);
      expect(unknown.status).toBe(404);
      expect(errorOf(unknown).code).toBe("unknown_function");
    });
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
