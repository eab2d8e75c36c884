/**
 * Ordinary pure-JS npm packages on every engine: each fixture is built end to
 * end (environment, deploy), loaded the way executors load a version, and its
 * output compared with the same module run natively in Node. A "v8" build is
 * run twice, as its bundle in an isolate and as its QuickJS component.
 */
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { build } from "esbuild";
import { Store } from "../builds/store.ts";
import { createEnvironment } from "../builds/env-create.ts";
import { deploy } from "../builds/deploy.ts";
import { transpileComponent } from "../builds/transpile.ts";
import type { Transformation } from "../guest-sdk/js/index.ts";
import { loadCurrent, callRows, type Envelope } from "./load-version.ts";

// The guest's local time zone is UTC: run the native side in UTC too.
process.env.TZ = "UTC";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const FIXTURES = join(ROOT, "test/fixtures/npm");
const V8 = "v8";
const QJS = "quickjs";
const SM = "starlingmonkey";
const EVERYWHERE = [V8, QJS, SM];
const INTERPRETED = [V8, QJS];

interface Case {
  fixture: string;
  fn: string;
  engines: string[];
  rows: Array<Record<string, unknown>>;
}

const CASES: Case[] = [
  {
    fixture: "fuzzball",
    fn: "scores",
    engines: EVERYWHERE,
    rows: [
      { a: "Mocha Cheesecake Fudge Brownie Bars", b: "fudge brownie" },
      { a: "Crème brûlée à l'orange", b: "creme brulee" },
      { a: "Ελληνική σαλάτα με φέτα", b: "ελληνικη σαλατα" },
      { a: "cafe\u0301 au lait", b: "café au lait!" },
      { a: "東京タワー 333m", b: "東京 タワー" },
      { a: "w*ldc?rd", b: "wildcard" },
    ],
  },
  {
    fixture: "date-fns",
    fn: "dates",
    engines: EVERYWHERE,
    rows: [
      { day: "2024-02-29T13:45:00Z", other: "2025-01-01" },
      { day: "1999-12-31", other: "2000-03-01T00:00:00Z" },
      { day: "2023-W52-7", other: "2024-01-01" },
      { day: "not a date", other: "2024-01-01" },
    ],
  },
  {
    fixture: "dayjs",
    fn: "dates",
    engines: INTERPRETED,
    rows: [{ day: "2024-01-31T08:30:15.250Z" }, { day: "2019-03-10" }, { day: "2000-02-29T23:59:59Z" }],
  },
  {
    fixture: "zod",
    fn: "validate",
    engines: EVERYWHERE,
    rows: [
      { payload: JSON.stringify({ email: "ada@example.org", id: "123e4567-e89b-42d3-a456-426614174000", age: 36, nick: "Ada_Łove", mood: "🙂", tags: [" Math ", "ENGINES"] }) },
      { payload: JSON.stringify({ email: "not-an-email", id: "nope", age: 12.5, nick: "a b", mood: "x", tags: ["a", "b", "c", "d"] }) },
      { payload: JSON.stringify({ email: "Zoë@例え.jp", id: "123e4567-e89b-42d3-a456-426614174000", age: 200, nick: "ζωή" }) },
    ],
  },
  {
    fixture: "validator",
    fn: "checks",
    engines: INTERPRETED,
    rows: [
      { value: "Foo.Bar+tag@GoogleMail.com" },
      { value: "https://user@例え.jp:8080/path?q=1#frag" },
      { value: "DE89 3704 0044 0532 0130 00".replace(/ /g, "") },
      { value: "4111111111111111" },
      { value: "2001:db8::ff00:42:8329" },
      { value: "2024-02-30T10:00:00Z" },
      { value: "<script>alert('x')</script>" },
    ],
  },
  {
    fixture: "decimal",
    fn: "money",
    engines: INTERPRETED,
    rows: [
      { amount: "1234567890.123456789", rate: "0.0725" },
      { amount: "-0.1", rate: "0.2" },
      { amount: "1e-40", rate: "-0.5" },
    ],
  },
  {
    fixture: "lodash",
    fn: "words",
    engines: INTERPRETED,
    rows: [
      { text: "Crème Brûlée & fooBar_baz-QUX", numbers: [1.5, 2.25, 2.75, -1] },
      { text: "ÀÉÎÕÜ straße Ω", numbers: [] },
    ],
  },
  {
    fixture: "immutable",
    fn: "structures",
    engines: INTERPRETED,
    rows: [
      { doc: JSON.stringify({ a: { b: [1, 2, { c: "d" }] }, z: true }), path: ["a", "b"] },
      { doc: JSON.stringify({ x: 1, y: { z: null } }), path: ["y", "z", "deep"] },
    ],
  },
  {
    fixture: "mathjs",
    fn: "evaluate",
    engines: INTERPRETED,
    rows: [
      { expr: "sqrt(2) * 10^20" },
      { expr: "det([1, 2; 3, 4]) + 1/3" },
      { expr: "5.08 cm + 2 inch to mm" },
      { expr: "derivative('x^3 + 2x', 'x')" },
      { expr: "1 / (" }, // a per-row error, as natively
    ],
  },
];

let store: Store;
let root: string;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "vial-npm-compat-"));
  store = new Store(join(root, "store"));
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

const builds = new Map<string, Promise<string>>();

/** Deploys a fixture once per build engine (v8 and quickjs share the v8 build, whose component is QuickJS). */
function built(fixture: string, engine: string, module: string): Promise<string> {
  const buildEngine = engine === SM ? SM : V8;
  const env = `${fixture}-${buildEngine}`.replace(/[^a-z0-9-]/g, "-");
  if (!builds.has(env)) {
    const dir = join(FIXTURES, fixture);
    builds.set(env, (async () => {
      await createEnvironment({ name: env, requirements: join(dir, "package.json"), store, engine: buildEngine });
      await deploy({ store, env, modulePath: join(dir, module) });
      return env;
    })());
  }
  return builds.get(env)!;
}

/** Builds a fixture and loads its current version on one engine. */
async function buildAndLoad(fixture: string, engine: string, module = "features.ts") {
  const env = await built(fixture, engine, module);
  const { manifest, instance, dir } = await loadCurrent(store, env, engine === V8 ? "v8" : "component");
  const component = await readFile(join(dir, manifest.component.file));
  return { manifest, component, instance };
}

/** The same module bundled for Node (no sandbox globals) and run in V8: what the component should answer. */
async function runNatively(fixture: string, fn: string, rows: Case["rows"], module = "features.ts"): Promise<Envelope> {
  const out = join(root, `${fixture}-native.mjs`);
  const result = await build({
    entryPoints: [join(FIXTURES, fixture, module)],
    bundle: true,
    write: false,
    format: "esm",
    platform: "node",
    alias: { "@vial/guest": join(ROOT, "guest-sdk/js/index.ts") },
    nodePaths: [join(ROOT, "node_modules")],
    logLevel: "silent",
  });
  await writeFile(out, result.outputFiles[0].text);
  const mod = (await import(pathToFileURL(out).href)) as Record<string, Transformation>;
  const errors: Envelope["errors"] = [];
  const results = mod[fn].run(structuredClone(rows) as never).map((r, row) => {
    if (!(r instanceof Error)) return r as Record<string, unknown>;
    errors.push({ row, error: `${r.name}: ${r.message}` });
    return null;
  });
  return JSON.parse(JSON.stringify({ rows: results, errors }));
}


describe("npm packages inside components", () => {
  for (const c of CASES) {
    for (const engine of c.engines) {
      test(`${c.fixture} on ${engine}`, async () => {
        const { manifest, component, instance } = await buildAndLoad(c.fixture, engine);
        expect(manifest.imports).toEqual([]);
        expect((await transpileComponent(component)).imports).toEqual([]);
        const got = await callRows(instance, c.fn, c.rows);
        const want = await runNatively(c.fixture, c.fn, c.rows);
        expect(got.logs).toBeUndefined();
        expect(got.errors).toEqual(want.errors);
        expect(got.rows).toEqual(want.rows);
      });
    }
  }
});

describe("the sandbox's global scope", () => {
  for (const engine of EVERYWHERE) {
    test(`Node globals, clock, timers and text codecs on ${engine}`, async () => {
      const { instance } = await buildAndLoad("globals", engine, "features.js");
      const rows = [{ text: "héllo €😀" }];
      const got = await callRows(instance, "probe", rows);
      expect(got.errors).toEqual([]);
      const row = got.rows[0]!;
      const want = (await runNatively("globals", "probe", rows, "features.js")).rows[0]!;
      // Computed the same as in Node: Buffer (unenv's), structuredClone, WHATWG UTF-8 decoding.
      for (const key of ["buffer", "clone", "decoded", "fatal", "encoded"]) expect(row[key], key).toEqual(want[key]);
      // StarlingMonkey is built without ICU: no String.prototype.normalize.
      if (engine === SM) expect(row.normalized).toMatch(/normalize is not a function/);
      else expect(row.normalized).toEqual(want.normalized);
      // No clock and no event loop: a fixed epoch, timers that never fire.
      expect(row.clock).toBe("1970-01-01T00:00:00.000Z 0 0 0");
      expect(row.timers).toBe("number,function,not fired");
      // Intl is part of V8 (with the host's ICU data); the WebAssembly engines are built without it.
      expect(row.intl).toBe(engine === V8 ? "object" : "undefined");
    });
  }

  test("a module using fs builds, and fails per row inside the guest", async () => {
    const { manifest, instance } = await buildAndLoad("fs-read", V8, "features.js");
    expect(manifest.imports).toEqual([]);
    const got = await callRows(instance, "read", [{ path: "/etc/hostname" }, { path: "package.json" }]);
    expect(got.rows).toEqual([null, null]);
    expect(got.errors.map((e) => e.row)).toEqual([0, 1]);
    for (const e of got.errors) expect(e.error).toMatch(/readFileSync is not implemented/);
  });
});
