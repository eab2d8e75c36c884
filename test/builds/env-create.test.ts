import { beforeAll, describe, expect, it } from "vitest";
import { mkdtemp, writeFile, readFile } from "node:fs/promises";
import { existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { createEnvironment, inferLanguage } from "../../builds/env-create.ts";
import { tempStore, snapshot } from "../store-snapshot.ts";
import type { Store } from "../../builds/store.ts";

const LOCAL_PKG = fileURLToPath(new URL("../fixtures/local-pkg", import.meta.url));

async function requirements(dependencies: Record<string, string>, dir?: string): Promise<string> {
  const folder = dir ?? (await mkdtemp(join(tmpdir(), "vial-req-")));
  const file = join(folder, "package.json");
  await writeFile(file, JSON.stringify({ name: "reqs", dependencies }));
  return file;
}

describe("vial env create", () => {
  let store: Store;
  const progress: string[] = [];
  beforeAll(async () => {
    store = await tempStore();
  });

  it("installs registry dependencies into a layer and reuses it when nothing changed", async () => {
    const req = await requirements({ "is-number": "7.0.0" });
    const first = await createEnvironment({ name: "numbers", requirements: req, store, progress: (m) => progress.push(m) });
    expect(first.language).toBe("js");
    expect(first.engine).toBe("v8");
    expect(first.reused).toBe(false);
    const layer = store.layerDir("js", first.layer);
    expect(JSON.parse(await readFile(join(layer, "node_modules/is-number/package.json"), "utf8")).version).toBe("7.0.0");
    expect(progress.some((m) => m.startsWith("installing"))).toBe(true);

    const again = await createEnvironment({ name: "numbers", requirements: req, store });
    expect(again.reused).toBe(true);
    expect(again.layer).toBe(first.layer);

    const changed = await createEnvironment({ name: "numbers", requirements: await requirements({ "is-number": "6.0.0" }), store });
    expect(changed.layer).not.toBe(first.layer);
    expect((await store.readEnvironment("numbers")).layer).toBe(changed.layer);
  });

  it("takes local folders and tarballs, relative to the requirements file, and notices when they change", async () => {
    const dir = await mkdtemp(join(tmpdir(), "vial-local-"));
    const pkgCopy = join(dir, "pkg");
    execFileSync("cp", ["-r", LOCAL_PKG, pkgCopy]);
    const tgzName = execFileSync("npm", ["pack", LOCAL_PKG, "--pack-destination", dir, "--silent"], { encoding: "utf8" }).trim();
    const req = await requirements({ "local-greeting": "file:./pkg" }, dir);
    const folderEnv = await createEnvironment({ name: "local-folder", requirements: req, store });
    expect(existsSync(join(store.layerDir("js", folderEnv.layer), "node_modules/local-greeting/index.js"))).toBe(true);

    await writeFile(join(pkgCopy, "index.js"), "export const greet = (n) => `hi ${n}`;\n");
    const edited = await createEnvironment({ name: "local-folder", requirements: req, store });
    expect(edited.layer).not.toBe(folderEnv.layer);

    const tgzReq = await requirements({ "local-greeting": `./${tgzName}` }, dir);
    const tgzEnv = await createEnvironment({ name: "local-tgz", requirements: tgzReq, store });
    expect(existsSync(join(store.layerDir("js", tgzEnv.layer), "node_modules/local-greeting/index.js"))).toBe(true);
  });

  it("infers the language from the requirements file", () => {
    expect(inferLanguage("x/package.json")).toBe("js");
    expect(inferLanguage("x/requirements.txt")).toBe("python");
    expect(() => inferLanguage("deps.yaml")).toThrow(/cannot tell the language from 'deps.yaml'/);
  });

  describe("refuses bad input with one clear line and leaves the store as it was", () => {
    const cases: Array<[string, () => Promise<unknown>, RegExp]> = [
      ["a dependency missing from the registry", async () => createEnvironment({ name: "broken", requirements: await requirements({ "vial-no-such-package-zz9": "1.0.0" }), store }), /dependency 'vial-no-such-package-zz9' was not found in the npm registry/],
      ["a version that does not exist", async () => createEnvironment({ name: "broken", requirements: await requirements({ "is-number": "99.0.0" }), store }), /no version of is-number@99.0.0 matches/],
      ["a local dependency that does not exist", async () => createEnvironment({ name: "broken", requirements: await requirements({ gone: "file:./nowhere" }), store }), /local dependency .*nowhere does not exist/],
      ["a requirements file that is not JSON", async () => {
        const file = join(await mkdtemp(join(tmpdir(), "vial-req-")), "package.json");
        await writeFile(file, "{ nope");
        return createEnvironment({ name: "broken", requirements: file, store });
      }, /cannot read requirements .*package.json/],
      ["an invalid environment name", async () => createEnvironment({ name: "Bad Name", requirements: await requirements({}), store }), /invalid environment name 'Bad Name'/],
      ["an unknown engine", async () => createEnvironment({ name: "broken", engine: "spidermonkey", requirements: await requirements({}), store }), /js environments run on v8, quickjs, starlingmonkey: --engine spidermonkey is not one of them/],
      ["a name already used by another language", async () => createEnvironment({ name: "numbers", language: "python", requirements: await requirements({}), store }), /already exists as a js environment/],
    ];
    it.each(cases)("%s", async (_name, run, message) => {
      const before = await snapshot(store);
      await expect(run()).rejects.toThrow(message);
      expect(await snapshot(store)).toEqual(before);
    });
  });
});
