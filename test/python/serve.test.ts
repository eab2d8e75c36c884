/**
 * The Python journey end to end: `env create` from a requirements.txt with a
 * local wheel, `deploy` of the example, served by the host over HTTP, with the
 * same answers as native CPython and the same errors as a JS environment.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fileURLToPath } from "node:url";
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createEnvironment } from "../../builds/env-create.ts";
import { deploy } from "../../builds/deploy.ts";
import { serve, type Serving } from "../../host/serve.ts";
import { createLogger } from "../../host/logger.ts";
import { tempStore, snapshot } from "../store-snapshot.ts";
import { callNative, fuzzyRequirements } from "../../testing/python.ts";
import type { Store } from "../../builds/store.ts";

const EXAMPLE = fileURLToPath(new URL("../../examples/python/fuzzy_similarity.py", import.meta.url));

describe("a Python environment through the CLI's steps and the host", () => {
  let store: Store;
  let serving: Serving;
  const post = (path: string, body: unknown) =>
    fetch(`${serving.address}${path}`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });

  beforeAll(async () => {
    store = await tempStore();
    const env = await createEnvironment({ name: "fuzzy-py", requirements: await fuzzyRequirements(), store });
    expect(env.language).toBe("python");
    const { manifest } = await deploy({ store, env: "fuzzy-py", modulePath: EXAMPLE });
    expect(manifest).toMatchObject({ language: "python", engine: "cpython" });
    expect(manifest.dependencies).toContainEqual(expect.objectContaining({ name: "fuzzywuzzy", version: "0.18.0" }));
    expect(manifest.imports.length).toBeGreaterThan(0);
    serving = await serve({ store, config: { port: 0, pool: { size: 1 } }, logger: createLogger("silent") });
    await serving.host.ready;
  }, 1_200_000);
  afterAll(async () => serving?.shutdown());

  it("answers over HTTP with what native CPython computes", async () => {
    const rows = [{ text: "Mocha brownie bars" }, { text: "" }, { text: "Fudge ☕ brownies" }];
    const response = await post("/v1/invoke/fuzzy-py/fuzzy_similarity", { rows });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual(callNative(EXAMPLE, "fuzzy_similarity", rows));
  });

  it("validates rows against the schema before they reach the interpreter", async () => {
    const response = await post("/v1/invoke/fuzzy-py/fuzzy_similarity", { rows: [{ text: "ok" }, { text: 7 }] });
    expect(response.status).toBe(400);
    expect(((await response.json()) as { error: { message: string } }).error.message).toMatch(/^row 1: field 'text': expected string, got number/);
  });

  it("refuses a requirement with native code, naming it, and leaves the store as it was", async () => {
    const dir = await mkdtemp(join(tmpdir(), "vial-native-"));
    const wheel = join(dir, "fastthing-1.0-cp311-cp311-linux_x86_64.whl");
    await writeFile(wheel, "not really a wheel");
    await writeFile(join(dir, "requirements.txt"), "./fastthing-1.0-cp311-cp311-linux_x86_64.whl\n");
    const before = await snapshot(store);
    await expect(createEnvironment({ name: "native-py", requirements: join(dir, "requirements.txt"), store })).rejects.toThrow(/native dependency refused: fastthing/);
    expect(await snapshot(store)).toEqual(before);
  });

  it("refuses a JS module for a Python environment", async () => {
    await expect(deploy({ store, env: "fuzzy-py", modulePath: fileURLToPath(new URL("../../examples/fuzzy-similarity/features.ts", import.meta.url)) })).rejects.toThrow(
      /this is a Python environment: deploy a .py module, not .ts/,
    );
  });
});
