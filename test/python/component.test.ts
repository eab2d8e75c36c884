// End to end: interpreter build (cached) -> requirements -> component ->
// jco bindings -> instance with vial's WASI imports; compared with native CPython.
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { componentizePython } from "../../builds/python/componentize.js";
import { installPythonRequirements } from "../../builds/python/requirements.js";
import { GuestExit } from "../../runtime/capabilities/index.js";
import { CACHE_DIR, FIXTURES, ROOT, callNative, fuzzyRequirements, loadComponent, type Guest, type Loaded } from "../../testing/python.ts";

const FUZZY = join(ROOT, "examples", "python", "fuzzy_similarity.py");
const CHECKS = join(FIXTURES, "guest_checks.py");
const TEXTS = ["Mocha Cheesecake Fudge Brownie Bars", "brownie", "fudge bars", "", "ünïcödé 🍫 brownies", "MOCHA"];

let fuzzy: Loaded;
let checks: Loaded;

beforeAll(async () => {
  const site = await mkdtemp(join(tmpdir(), "vial-site-"));
  await installPythonRequirements(await fuzzyRequirements(), site);
  fuzzy = await loadComponent(await componentizePython({ modulePath: FUZZY, sitePackages: site, cacheDir: CACHE_DIR, onProgress: (m) => console.log(m) }));
  const empty = await mkdtemp(join(tmpdir(), "vial-site-"));
  checks = await loadComponent(await componentizePython({ modulePath: CHECKS, sitePackages: empty, cacheDir: CACHE_DIR }));
}, 20 * 60_000);

const parse = (s: string) => JSON.parse(s) as { rows: any[]; errors: { row: number; error: string }[]; logs?: string[] };

async function fresh(l: Loaded, lines?: string[]): Promise<Guest> {
  const g = await l.instantiate({ onStdout: (x) => lines?.push(x), onStderr: (x) => lines?.push(x) });
  g.reseed(crypto.getRandomValues(new Uint8Array(32)));
  return g;
}

describe("python component", () => {
  it("describes its functions", async () => {
    const g = await fresh(fuzzy);
    expect(JSON.parse(g.describe())).toEqual({
      functions: [{
        name: "fuzzy_similarity",
        mode: "row",
        inputs: [{ name: "text", type: "string" }],
        outputs: [{ name: "similarity", type: "int64" }, { name: "partial_similarity", type: "int64" }],
      }],
    });
  });

  it("matches native CPython on fuzzy_similarity", async () => {
    const g = await fresh(fuzzy);
    const rows = TEXTS.map((text) => ({ text }));
    const got = parse(g.call("fuzzy_similarity", JSON.stringify(rows)));
    expect(got.errors).toEqual([]);
    expect(got).toEqual(callNative(FUZZY, "fuzzy_similarity", rows));
    expect(got.rows[0]).toEqual({ similarity: 100, partial_similarity: 100 });
  });

  it("isolates a row whose handler raised", async () => {
    const g = await fresh(checks);
    const got = parse(g.call("shout", JSON.stringify([{ text: "a" }, { text: "boom" }, { text: "c" }])));
    expect(got.rows).toEqual([{ upper: "A" }, null, { upper: "C" }]);
    expect(got.errors).toHaveLength(1);
    expect(got.errors[0].row).toBe(1);
    expect(got.errors[0].error).toMatch(/^ValueError: no booms allowed \(at shout line \d+\)$/);
  });

  it("ends a memory bomb as MemoryError and stays usable", async () => {
    const g = await fresh(checks);
    const got = parse(g.call("allocate", JSON.stringify([{ mb: 1024 }, { mb: 1 }])));
    expect(got.errors[0]).toMatchObject({ row: 0 });
    expect(got.errors[0].error).toMatch(/MemoryError/);
    expect(got.rows[1]).toEqual({ n: 1024 * 1024 });
    expect(parse(g.call("shout", '[{"text":"still here"}]')).rows).toEqual([{ upper: "STILL HERE" }]);
    const grown = parse(g.call("grow_forever", "[{}]"));
    expect(grown.errors[0].error).toMatch(/^MemoryError/);
    expect(parse(g.call("allocate", '[{"mb": 8}]')).rows).toEqual([{ n: 8 * 1024 * 1024 }]);
  });

  it("imports at call time only what the snapshot holds", async () => {
    const g = await fresh(checks);
    const got = parse(g.call("late_import", JSON.stringify([{ name: "statistics" }, { name: "smtplib" }])));
    expect(got.rows[0]).toEqual({ ok: true });
    expect(got.errors).toEqual([{ row: 1, error: expect.stringMatching(/^ModuleNotFoundError: No module named 'smtplib'/) }]);
  });

  it("round-trips every wire type", async () => {
    const g = await fresh(checks);
    const row = { data: Buffer.from("abc").toString("base64"), xs: [1, 2.5], flag: true, maybe: null };
    const got = parse(g.call("roundtrip", JSON.stringify([row, { ...row, maybe: "x" }])));
    expect(got.errors).toEqual([]);
    expect(got.rows[0]).toEqual({ data: Buffer.from("cba").toString("base64"), total: 3.5, flag: false, maybe: null });
    expect(got.rows[1].maybe).toBe("x");
  });

  it("reports output type mismatches per row", async () => {
    const g = await fresh(checks);
    const got = parse(g.call("wrong_output", '[{"x": 1}]'));
    expect(got.errors).toEqual([{ row: 0, error: "output field 'y': expected int64, got string" }]);
  });

  it("fails the whole batch for batch-mode errors, unknown functions and bad JSON", async () => {
    const g = await fresh(checks);
    expect(parse(g.call("batch_double", '[{"x": 1}, {"x": 2}]')).rows).toEqual([{ y: 2 }, { y: 4 }]);
    expect(() => g.call("batch_double", '[{"x": -1}]')).toThrow(/RuntimeError: negative input in batch/);
    expect(() => g.call("nope", "[]")).toThrow(/unknown function 'nope'/);
    expect(() => g.call("shout", "[{")).toThrow(/malformed batch JSON/);
  });

  it("accepts empty arguments", async () => {
    const g = await fresh(checks);
    g.reseed(new Uint8Array(0));
    expect(() => g.call("", "")).toThrow(/unknown function ''/);
    expect(() => g.call("shout", "")).toThrow(/malformed batch JSON/);
    expect(parse(g.call("shout", "[]"))).toEqual({ rows: [], errors: [] });
  });

  it("gives each reseeded instance its own random state", async () => {
    const a = await fresh(checks);
    const b = await fresh(checks);
    const draw = (g: Guest) => parse(g.call("draw", "[{}]")).rows[0].r;
    expect(draw(a)).not.toBe(draw(b));
  });

  it("hands what a handler prints back with the batch, for the host's logs", async () => {
    const lines: string[] = [];
    const g = await fresh(checks, lines);
    expect(parse(g.call("chatty", "[{}]")).logs).toEqual(["stdout: hello from the guest"]);
    expect(lines).toEqual([]);
  });

  it("sees no environment, files or arguments", async () => {
    const g = await fresh(checks);
    const row = parse(g.call("sandbox", "[{}]")).rows[0];
    expect(row.env).toBe(0);
    expect(row.files).not.toBe("readable");
  });

  it("turns deep recursion and threads into row errors", async () => {
    const g = await fresh(checks);
    const got = parse(g.call("recurse", JSON.stringify([{ depth: 100 }, { depth: 100000 }])));
    expect(got.rows[0]).toEqual({ depth: 100 });
    expect(got.errors).toEqual([{ row: 1, error: expect.stringMatching(/^RecursionError/) }]);
    const t = parse(g.call("spawn_thread", "[{}]"));
    expect(t.errors[0].error).toMatch(/^RuntimeError/);
    expect(parse(g.call("recurse", '[{"depth": 3}]')).rows).toEqual([{ depth: 3 }]);
  });

  it("ends only the instance on exit", async () => {
    const g = await fresh(checks);
    expect(() => g.call("hard_exit", "[{}]")).toThrow(GuestExit);
    const other = await fresh(checks);
    expect(parse(other.call("shout", '[{"text":"ok"}]')).rows).toEqual([{ upper: "OK" }]);
  });

  it("reports a module that fails to import with its Python error", async () => {
    const dir = await mkdtemp(join(tmpdir(), "vial-broken-"));
    await writeFile(join(dir, "broken_mod.py"), 'import vial\nraise ValueError("broken at import")\n');
    await expect(
      componentizePython({ modulePath: join(dir, "broken_mod.py"), sitePackages: await mkdtemp(join(tmpdir(), "vial-site-")), cacheDir: CACHE_DIR }),
    ).rejects.toThrow(/importing broken_mod failed while building the component:\n[^]*ValueError: broken at import/);
  });
});
