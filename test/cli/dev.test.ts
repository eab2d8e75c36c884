/**
 * `vial dev`: serves, deploys on start and on every save, prints the test
 * rows' results, and keeps the last good version serving through a save
 * that does not type-check.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { copyFile, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Store } from "../../builds/store.ts";
import { createEnvironment } from "../../builds/env-create.ts";
import { FIXTURES, tempStore } from "../host/helpers.ts";
import { startVial } from "./run-vial.ts";

let store: Store;
let dir: string;
let requirements: string;

beforeAll(async () => {
  store = await tempStore();
  dir = await mkdtemp(join(tmpdir(), "vial-dev-"));
  requirements = join(dir, "package.json");
  await copyFile(join(FIXTURES, "package.json"), requirements);
  await createEnvironment({ name: "dev", requirements, store });
});

afterAll(async () => {
  if (store) await rm(store.root, { recursive: true, force: true });
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function answeringVersion(base: string): Promise<string> {
  const response = await fetch(`${base}/v1/invoke/dev/which`, { method: "POST", headers: { "content-type": "application/json" }, body: '{"rows": [{"n": 1}]}' });
  expect(response.status).toBe(200);
  return ((await response.json()) as { rows: Array<{ version: string }> }).rows[0]!.version;
}

describe("vial dev", () => {
  it("redeploys on every save, prints the rows' results, and keeps the last good version through a broken save", async () => {
    const module = join(dir, "features.ts");
    await copyFile(join(FIXTURES, "counter-v1.ts"), module);
    const dev = startVial(["dev", module, "--env", "dev", "--store", store.root, "--port", "0", "--rows", '[{"n": 5}]', "--fn", "which"]);
    try {
      const serving = dev.next(/^serving http/);
      const firstRows = dev.next(/→\s+5\s+v1/);
      const base = (await serving).match(/^serving (\S+)/)![1]!;
      await firstRows;
      expect(await answeringVersion(base)).toBe("v1");

      const secondRows = dev.next(/→\s+5\s+v2/);
      await writeFile(module, await readFile(join(FIXTURES, "counter-v2.ts")));
      await secondRows;
      expect(await answeringVersion(base)).toBe("v2");

      const refused = dev.next(/^✗ /);
      const kept = dev.next(/keeps serving/);
      await writeFile(module, (await readFile(join(FIXTURES, "counter-v2.ts"), "utf8")).replace('version: "v2"', "version: 2"));
      expect(await refused).toMatch(/features\.ts:\d+:\d+: .*not assignable/);
      expect(await kept).toMatch(/^ {2}dev@[0-9a-f]{16} keeps serving/);
      expect(await answeringVersion(base)).toBe("v2");

      // A save of the requirements reinstalls the layer, then deploys the module as it is now (still broken).
      const reinstalled = dev.next(/keeps serving/);
      await writeFile(requirements, JSON.stringify({ ...JSON.parse(await readFile(requirements, "utf8")), description: "changed" }));
      await reinstalled;
      expect(dev.lines.some((l) => l.includes(`installing ${requirements}`)) || dev.stderr().includes(`installing ${requirements}`)).toBe(true);
    } finally {
      expect(await dev.stop()).toBe(0);
    }
    expect(dev.lines.filter((l) => l.startsWith("✓ dev@"))).toHaveLength(2);
  });
});
