/**
 * `vial test`: the module built as deploy builds it, rows run in a real
 * executor, nothing published; one document with --json, a table without;
 * exit 1 with the message that says what to fix.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { rm, writeFile, mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Store } from "../../builds/store.ts";
import { createEnvironment } from "../../builds/env-create.ts";
import { FIXTURES, REPO, tempStore } from "../host/helpers.ts";
import { runVial } from "./run-vial.ts";

const KITCHEN = join(REPO, "test/fixtures/modules/kitchen-sink.ts");
let store: Store;
let dir: string;

beforeAll(async () => {
  store = await tempStore();
  dir = await mkdtemp(join(tmpdir(), "vial-test-rows-"));
  await createEnvironment({ name: "kitchen", requirements: join(FIXTURES, "package.json"), store });
});

afterAll(async () => {
  if (store) await rm(store.root, { recursive: true, force: true });
  if (dir) await rm(dir, { recursive: true, force: true });
});

const test = (...args: string[]) => runVial(["test", ...args, "--env", "kitchen", "--store", store.root]);

describe("vial test", () => {
  it("prints one {rows, errors} document with --json, and publishes nothing", async () => {
    const rows = [
      { s: "a", n: 1, x: 0.5, b: true, raw: Buffer.from([1, 2]).toString("base64"), list: [1, 2], maybe: null },
      { s: "b", n: -3, x: 2, b: false, raw: "", list: [], maybe: "here" },
    ];
    const file = join(dir, "mirror.ndjson");
    await writeFile(file, rows.map((r) => JSON.stringify(r)).join("\n") + "\n");
    const { code, stdout, stderr } = await test(KITCHEN, "--fn", "mirror", "--rows", file, "--json");
    expect(code, stderr).toBe(0);
    const expected = rows.map((r) => ({ ...r, raw: Buffer.from(Buffer.from(r.raw, "base64").map((v) => v + 1)).toString("base64"), size: Buffer.from(r.raw, "base64").length }));
    expect(JSON.parse(stdout)).toEqual({ rows: expected, errors: [] });
    expect(await store.versions("kitchen")).toEqual([]);
    expect(await store.current("kitchen")).toBeUndefined();
  });

  it("shows a table, with a failed row's error, and exits 1 when a row failed", async () => {
    const { code, stdout } = await test(KITCHEN, "--fn", "inverse", "--rows", '[{"x": 4}, {"x": 0}]');
    expect(code).toBe(1);
    expect(stdout).toMatch(/in\.x\s+→\s+out\.y/);
    expect(stdout).toMatch(/0\s+4\s+→\s+0\.25/);
    expect(stdout).toContain("error: RangeError: cannot invert zero");
    expect(stdout).toContain("1 of 2 rows ok, 1 failed");
  });

  it("exits 1 naming the row and field that break the input schema", async () => {
    const { code, stdout, stderr } = await test(KITCHEN, "--fn", "inverse", "--rows", '[{"x": 1}, {"x": "one"}]', "--json");
    expect(code).toBe(1);
    expect(stdout).toBe("");
    expect(stderr).toMatch(/error: invalid_row: row 1: field 'x': expected float64, got string/);
  });

  it("exits 1 with the line to fix when the module does not type-check, and names the functions there are", async () => {
    const broken = await test(join(REPO, "test/fixtures/modules/breaks-output-schema.ts"), "--fn", "any", "--rows", "[]");
    expect(broken.code).toBe(1);
    expect(broken.stderr).toMatch(/error: .*breaks-output-schema\.ts:\d+:\d+: Type/);
    const unknown = await test(KITCHEN, "--fn", "nothing", "--rows", "[]");
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/has no function 'nothing' \(has: .*mirror.*\): pass one of them to --fn/);
  });

  it("runs a module's only function without --fn, and asks for --fn when there are several", async () => {
    const one = await test(join(REPO, "test/fixtures/modules/one-function.ts"), "--rows", '[{"x": 1.5}]', "--json");
    expect(one.code, one.stderr).toBe(0);
    expect(JSON.parse(one.stdout)).toEqual({ rows: [{ y: 3 }], errors: [] });
    const several = await test(KITCHEN, "--rows", "[]");
    expect(several.code).toBe(1);
    expect(several.stderr).toMatch(/kitchen-sink\.ts has 4 functions \(inverse, mirror, noisy, ranks\): pass one of them to --fn/);
  });

  it("refuses a rows file it cannot read before building, saying where", async () => {
    const file = join(dir, "bad.ndjson");
    await writeFile(file, '{"x": 1}\n{"x": \n');
    const { code, stderr } = await test(KITCHEN, "--fn", "inverse", "--rows", file);
    expect(code).toBe(1);
    expect(stderr).toMatch(/bad\.ndjson line 2 is not valid JSON/);
    expect(stderr).not.toMatch(/type-checking/);
  });
});
