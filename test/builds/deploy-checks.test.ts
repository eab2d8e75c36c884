/**
 * Deploy-time checks: sample rows run through the built version and must pass before it is published (an output
 * key no output declares is a warning), and every import of a Python module, inside function bodies too, must
 * resolve in its environment. A failed check publishes nothing.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { createEnvironment } from "../../builds/env-create.ts";
import { deploy } from "../../builds/deploy.ts";
import type { Store } from "../../builds/store.ts";
import { tempStore } from "../store-snapshot.ts";

const FIXTURES = fileURLToPath(new URL("./fixtures/", import.meta.url));
const SECURITY = fileURLToPath(new URL("../security/fixtures/", import.meta.url));

async function samples(value: unknown): Promise<string> {
  const file = join(await mkdtemp(join(tmpdir(), "vial-samples-")), "rows.json");
  await writeFile(file, JSON.stringify(value));
  return file;
}

describe("sample rows at deploy", () => {
  let store: Store;
  beforeAll(async () => {
    store = await tempStore();
    await createEnvironment({ name: "scores", requirements: join(SECURITY, "package.json"), store });
  });

  it("publishes when the samples pass, and warns of output keys no output declares", async () => {
    const { manifest, warnings } = await deploy({ store, env: "scores", modulePath: join(FIXTURES, "scores.ts"), samples: await samples([{ x: 1 }, { x: 2.5 }]) });
    expect((await store.current("scores"))?.version).toBe(manifest.version);
    expect(warnings).toEqual(["score returns 'debug', which its outputs do not declare: they are dropped (declare them to return them)"]);
  });

  it.each([
    ["a failing row", { score: [{ x: 1 }, { x: -1 }] }, "sample row 1 of score failed: Error: x must not be negative"],
    ["a row the schema refuses", [{ x: "one" }], "sample rows of score: row 0: field 'x': expected float64, got string"],
    ["a function the module does not have", { other: [] }, "the module has no function 'other' (has: score)"],
  ])("publishes nothing when a sample shows %s", async (_what, rows, message) => {
    const before = await store.current("scores");
    await expect(deploy({ store, env: "scores", modulePath: join(FIXTURES, "scores.ts"), samples: await samples(rows) })).rejects.toThrow(message);
    expect(await store.current("scores")).toEqual(before);
  });
});

describe("a Python module's imports at deploy", () => {
  let store: Store;
  beforeAll(async () => {
    store = await tempStore();
    const dir = await mkdtemp(join(tmpdir(), "vial-req-"));
    await writeFile(join(dir, "requirements.txt"), "# nothing beyond the standard library\n");
    await createEnvironment({ name: "plain-py", requirements: join(dir, "requirements.txt"), store });
  }, 30 * 60_000);

  it("refuses an import inside a function body that the environment lacks, naming it and what to add", async () => {
    const error = await deploy({ store, env: "plain-py", modulePath: join(FIXTURES, "lazy_imports.py") }).catch((e: Error) => e);
    expect((error as Error).message).toBe("lazy_imports imports 'pandas' (line 7), which this environment does not have: add pandas to its requirements and run 'vial env create' again");
    expect(await store.current("plain-py")).toBeUndefined();
  }, 10 * 60_000);

  it("deploys a module whose optional import is guarded and whose other imports resolve", async () => {
    const { manifest } = await deploy({ store, env: "plain-py", modulePath: join(FIXTURES, "optional_imports.py") });
    expect(manifest.functions.map((f) => f.name)).toEqual(["half"]);
  }, 10 * 60_000);
});
