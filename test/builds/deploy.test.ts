import { beforeAll, describe, expect, it } from "vitest";
import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { execFileSync } from "node:child_process";
import * as fuzz from "fuzzball";
import { createEnvironment } from "../../builds/env-create.ts";
import { deploy } from "../../builds/deploy.ts";
import { transpileComponent } from "../../builds/transpile.ts";
import { sha256 } from "../../runtime/digest.ts";
import type { Store } from "../../builds/store.ts";
import { tempStore, snapshot } from "../store-snapshot.ts";
import { loadCurrent, callRows } from "../load-version.ts";

const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));
const EXAMPLE = here("../../examples/fuzzy-similarity/");
const MODULES = here("../fixtures/modules/");
const BASELINE = "Mocha Cheesecake Fudge Brownie Bars";

describe("vial deploy", () => {
  let store: Store;
  beforeAll(async () => {
    store = await tempStore();
    await createEnvironment({ name: "fuzzy", requirements: join(EXAMPLE, "package.json"), store });
    const dir = await mkdtemp(join(tmpdir(), "vial-req-"));
    const requirements = join(dir, "package.json");
    await writeFile(requirements, JSON.stringify({ dependencies: { "fs-at-load": `file:${here("../fixtures/fs-at-load")}` } }));
    await createEnvironment({ name: "kit", requirements, store });
  });

  it("publishes the fuzzy-similarity example with a complete manifest, and it computes what fuzzball computes natively", async () => {
    const { manifest, versionDir } = await deploy({ store, env: "fuzzy", modulePath: join(EXAMPLE, "features.ts") });
    expect(manifest).toMatchObject({ environment: "fuzzy", language: "js", engine: "v8", componentEngine: "quickjs", imports: [] });
    expect(manifest.bundle).toEqual({ file: "bundle.mjs", sha256: sha256(await readFile(join(versionDir, "bundle.mjs"))) });
    expect(manifest.functions).toEqual([
      {
        name: "fuzzy_similarity",
        mode: "row",
        inputs: [{ name: "text", type: "string" }],
        outputs: [{ name: "similarity", type: "int64" }, { name: "partial_similarity", type: "int64" }],
      },
    ]);
    expect(manifest.dependencies).toContainEqual(expect.objectContaining({ name: "fuzzball", version: "2.2.6", integrity: expect.stringMatching(/^sha512-/) }));
    expect(Object.keys(manifest.toolchain)).toEqual(expect.arrayContaining(["node", "quickjs", "esbuild", "@bytecodealliance/jco-transpile"]));
    const component = await readFile(join(versionDir, "component.wasm"));
    expect(manifest.component).toEqual({ file: "component.wasm", bytes: component.length, sha256: sha256(component) });
    expect(manifest.version).toBe(sha256(component).slice(0, 16));
    expect(manifest.buildMs).toBeGreaterThan(0);
    expect((await store.current("fuzzy"))?.version).toBe(manifest.version);

    const texts = ["Mocha brownie bars", "", "cheesecake", "Fudge ☕ brownies 🍫", BASELINE];
    const { instance } = await loadCurrent(store, "fuzzy");
    const out = await callRows(instance, "fuzzy_similarity", texts.map((text) => ({ text })));
    expect(out.errors).toEqual([]);
    expect(out.rows).toEqual(texts.map((text) => ({ similarity: fuzz.ratio(BASELINE, text), partial_similarity: fuzz.partial_ratio(BASELINE, text) })));
  });

  it("builds a component that imports nothing from the host", async () => {
    const { versionDir } = await deploy({ store, env: "fuzzy", modulePath: join(EXAMPLE, "features.ts") });
    const { imports } = await transpileComponent(await readFile(join(versionDir, "component.wasm")));
    expect(imports).toEqual([]);
    // The bindings instantiate with no imports object at all.
    const wat = execFileSync("node", ["-e", `const b=require('fs').readFileSync(${JSON.stringify(join(versionDir, "component.mjs"))},'utf8');console.log(/imports\\[['"]wasi:/.test(b))`], { encoding: "utf8" });
    expect(wat.trim()).toBe("false");
  });

  it("round-trips every type, reports per-row errors, runs batch handlers, keeps logs", async () => {
    await deploy({ store, env: "kit", modulePath: join(MODULES, "kitchen-sink.ts") });
    const { instance, manifest } = await loadCurrent(store, "kit");
    expect(manifest.functions.map((f) => [f.name, f.mode])).toEqual([["inverse", "row"], ["mirror", "row"], ["noisy", "row"], ["ranks", "batch"]]);

    const row = { s: "é✓𝄞", n: 2 ** 53 - 1, x: -0.5, b: true, raw: Buffer.from([0, 1, 254]).toString("base64"), list: [1, 2], maybe: null };
    const mirrored = await callRows(instance, "mirror", [row]);
    expect(mirrored.rows[0]).toEqual({ ...row, raw: Buffer.from([1, 2, 255]).toString("base64"), size: 3 });

    const inverse = await callRows(instance, "inverse", [{ x: 2 }, { x: 0 }, { x: 4 }]);
    expect(inverse.rows).toEqual([{ y: 0.5 }, null, { y: 0.25 }]);
    expect(inverse.errors).toEqual([{ row: 1, error: "RangeError: cannot invert zero" }]);

    expect((await callRows(instance, "ranks", [{ score: 1 }, { score: 3 }, { score: 2 }])).rows).toEqual([{ rank: 3 }, { rank: 1 }, { rank: 2 }]);

    const noisy = await callRows(instance, "noisy", [{}, {}]);
    expect(noisy.logs).toEqual(["log: drawing a number", "log: drawing a number"]);
    expect(noisy.rows[0]!.r).not.toBe(noisy.rows[1]!.r);
    await expect(instance.call("missing", "[]")).rejects.toThrow(/no function 'missing' in this environment \(has: inverse, mirror, noisy, ranks\)/);
  });

  it("gives two instances of one version different random sequences (reseeded per instance)", async () => {
    const a = await loadCurrent(store, "kit");
    const b = await loadCurrent(store, "kit");
    expect((await callRows(a.instance, "noisy", [{}])).rows[0]).not.toEqual((await callRows(b.instance, "noisy", [{}])).rows[0]);
  });

  describe("refuses bad modules with one clear line and leaves the store as it was", () => {
    const cases: Array<[string, string, string, RegExp]> = [
      ["a syntax error", "kit", "syntax-error.ts", /syntax-error.ts:6:\d+: .*expected/i],
      ["an import that is not a dependency", "kit", "missing-dependency.ts", /cannot resolve 'left-pad': it is not a dependency of this environment/],
      ["a handler that breaks its output schema", "kit", "breaks-output-schema.ts", /breaks-output-schema.ts:6:\d+: .*Type 'string' is not assignable to type 'number'/],
      ["a dependency that does not work inside the component", "kit", "fs-dependency.js", /could not load the module: .*fs.readFileSync is not implemented/],
      ["a module without transformations", "kit", "no-transformation.ts", /exports no transformation/],
      ["an unnamed (default) transformation", "kit", "default-export.ts", /is the default export; export it under a name/],
      ["a field name that reaches the prototype", "kit", "reserved-field.ts", /sneaky has a field named '__proto__': field names must be identifiers other than __proto__/],
      ["a module in another language than the environment", "kit", "../local-pkg/package.json", /this is a JS environment: deploy a .ts or .js module, not .json/],
      ["an environment that does not exist", "nowhere", "kitchen-sink.ts", /no environment 'nowhere'/],
    ];
    it.each(cases)("%s", async (_name, env, module, message) => {
      const before = await snapshot(store);
      const current = await store.current("kit");
      await expect(deploy({ store, env, modulePath: join(MODULES, module) })).rejects.toThrow(message);
      expect(await snapshot(store)).toEqual(before);
      expect(await store.current("kit")).toEqual(current);
    });
  });
});
