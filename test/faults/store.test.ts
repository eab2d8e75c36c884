/**
 * Faults in the store under a running host: broken versions made current
 * (corrupted, truncated, digests that do not match, half-written), a deploy
 * killed half-way, and a store that does not exist yet. The host refuses
 * what is broken with a clear error and keeps serving what it served.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { cp, mkdir, mkdtemp, readFile, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Store } from "../../builds/store.ts";
import { sha256 } from "../../runtime/digest.ts";
import type { Manifest } from "../../runtime/manifest.ts";
import { createHost } from "../../host/host.ts";
import { createLogger } from "../../host/logger.ts";
import { deployModule, eventually, REPO, tempStore } from "../host/helpers.ts";
import { SECURITY_FIXTURES, watchedHost, type Watched } from "../security/helpers.ts";

const ENV = "faulty";
let store: Store;
let good: string;
let host: Watched;
const figures = { injected: 0, survived: 0 };

/** Copies the good version under a new name, lets `damage` break it, and makes it current. */
async function publishBroken(name: string, damage: (dir: string, manifest: Manifest) => Promise<Manifest | void>): Promise<void> {
  const dir = store.versionDir(ENV, name);
  await cp(store.versionDir(ENV, good), dir, { recursive: true });
  const manifest = { ...(JSON.parse(await readFile(join(dir, "manifest.json"), "utf8")) as Manifest), version: name };
  const changed = (await damage(dir, manifest)) ?? manifest;
  await writeFile(join(dir, "manifest.json"), JSON.stringify(changed));
  await store.setCurrent(ENV, name);
}

/** Reloads; the broken version must be refused with `reason`, and the good one keep answering. */
async function expectRefusedAndServing(name: string, reason: RegExp): Promise<void> {
  figures.injected++;
  const [result] = await host.serving.host.reload(ENV);
  expect(result).toMatchObject({ env: ENV, status: "refused", version: name });
  expect(result && "error" in result ? result.error : "").toMatch(reason);
  const listed = (await (await fetch(`${host.base}/v1/environments`)).json()) as { environments: Array<{ version: string; refused?: { version: string } }> };
  expect(listed.environments[0]).toMatchObject({ version: good, refused: { version: name } });
  const answer = await host.invoke(ENV, "echo", [{ text: "still", count: 1 }]);
  expect(answer.value.rows[0]).toMatchObject({ text: "still", count: 2 });
  figures.survived++;
  await store.rollback(ENV, good);
}

beforeAll(async () => {
  store = await tempStore();
  good = await deployModule(store, ENV, join(SECURITY_FIXTURES, "package.json"), join(SECURITY_FIXTURES, "abuse.ts"));
  host = await watchedHost(store, { pool: { size: 1 } });
});

afterAll(async () => {
  console.log(`[vial-figures] store-faults ${JSON.stringify(figures)}`);
  await host?.close();
  if (store) await rm(store.root, { recursive: true, force: true });
});

describe("broken versions made current", () => {
  it("refuses a version whose core module was corrupted after deploy", async () => {
    await publishBroken("corrupted-core", async (dir, manifest) => {
      const file = join(dir, "core", manifest.core[0]!.file);
      const bytes = await readFile(file);
      bytes[Math.floor(bytes.length / 2)] ^= 0xff;
      await writeFile(file, bytes);
    });
    await expectRefusedAndServing("corrupted-core", /core\/\S+\.wasm has sha256 \w+…, the manifest says \w+… \(the version was modified after it was built/);
  });

  it("refuses a truncated core module even when its manifest digest was made to match", async () => {
    await publishBroken("truncated-core", async (dir, manifest) => {
      const file = join(dir, "core", manifest.core[0]!.file);
      const bytes = (await readFile(file)).subarray(0, 1000);
      await writeFile(file, bytes);
      return { ...manifest, core: manifest.core.map((c, i) => (i === 0 ? { ...c, sha256: sha256(bytes) } : c)) };
    });
    await expectRefusedAndServing("truncated-core", /its core modules do not compile/);
  });

  it("refuses a version whose manifest digest does not match its component", async () => {
    await publishBroken("wrong-digest", async (_dir, manifest) => ({ ...manifest, component: { ...manifest.component, sha256: "0".repeat(64) } }));
    await expectRefusedAndServing("wrong-digest", /component\.wasm has sha256 \w+…, the manifest says 000000000000…/);
  });

  it("refuses a half-written version (files missing, no manifest)", async () => {
    const dir = store.versionDir(ENV, "half-written");
    await mkdir(join(dir, "core"), { recursive: true });
    await writeFile(join(dir, "component.wasm"), (await readFile(join(store.versionDir(ENV, good), "component.wasm"))).subarray(0, 4096));
    await store.setCurrent(ENV, "half-written");
    await expectRefusedAndServing("half-written", /environment 'faulty' has no version 'half-written'/);
  });

  it("refuses a version whose bindings are missing", async () => {
    await publishBroken("no-bindings", async (dir, manifest) => rm(join(dir, manifest.bindings.file)));
    await expectRefusedAndServing("no-bindings", /component\.mjs is missing|\.mjs is missing/);
  });
});

describe("a deploy killed half-way", () => {
  it("publishes nothing: no new version, current.json unchanged, the host serves on", async () => {
    const currentBefore = await readFile(join(store.envDir(ENV), "current.json"), "utf8");
    const versionsBefore = await store.versions(ENV);
    const child = spawn(process.execPath, [join(REPO, "bin/vial.js"), "deploy", join(SECURITY_FIXTURES, "escape-attempts.ts"), "--env", ENV, "--store", store.root], {
      cwd: REPO,
      stdio: ["ignore", "ignore", "pipe"],
    });
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.once("exit", (_code, signal) => resolve(signal)));
    const staged = new Promise<void>((resolve) =>
      createInterface({ input: child.stderr! }).on("line", (line) => {
        // By now every file of the new version is written to staging; the manifest and the rename are still to come.
        if (line.includes("loading the component to read its functions")) resolve();
      }),
    );
    await staged;
    child.kill("SIGKILL");
    expect(await exited).toBe("SIGKILL");
    figures.injected++;

    expect(await readFile(join(store.envDir(ENV), "current.json"), "utf8")).toBe(currentBefore);
    expect(await store.versions(ENV)).toEqual(versionsBefore);
    // What the crash left is under tmp/, where nothing is ever served from.
    expect((await readdir(join(store.root, "tmp"))).some((d) => d.startsWith("stage-"))).toBe(true);
    const [result] = await host.serving.host.reload(ENV);
    expect(result).toMatchObject({ status: "unchanged", version: good });
    expect((await host.invoke(ENV, "echo", [{ text: "after crash", count: 1 }])).value.rows[0]).toMatchObject({ count: 2 });
    figures.survived++;
  });
});

describe("a store that does not exist at start", () => {
  it("gives a ready host serving nothing, with a warning, that picks up the store once it appears", async () => {
    const root = join(await mkdtemp(join(tmpdir(), "vial-missing-")), "store");
    const logs: string[] = [];
    const missing = createHost({ store: root, logger: createLogger("info", { write: (l: string) => void logs.push(l) }), config: { watchPollMs: 100, pool: { size: 1 } } });
    figures.injected++;
    try {
      await missing.ready;
      expect(missing.status()).toBe("ready");
      expect(logs.map((l) => JSON.parse(l).msg)).toContain("the store does not exist (yet): serving no environments until one is deployed to it");
      const response = await missing.app.request(`/v1/invoke/${ENV}/echo`, { method: "POST", headers: { "content-type": "application/json" }, body: '{"rows": []}' });
      expect(response.status).toBe(404);
      const listed = async () => ((await (await missing.app.request("/v1/environments")).json()) as { environments: unknown[] }).environments;
      expect(await listed()).toEqual([]);

      await cp(store.root, root, { recursive: true });
      await eventually(async () => (await listed()).length === 1);
      expect((await missing.invoke(ENV, "echo", [{ text: "found", count: 1 }])).rows[0]).toMatchObject({ count: 2 });
      figures.survived++;
    } finally {
      await missing.close();
      await rm(join(root, ".."), { recursive: true, force: true });
    }
  });
});
