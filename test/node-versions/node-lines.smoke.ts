/**
 * vial on the Node LTS lines other than the machine's: the release comes from
 * the npm registry, the project is installed on it with `npm ci` (isolated-vm
 * picked for it), then built, served, invoked over HTTP on both engines,
 * stopped, and its executor sandbox tried by the project's own test.
 * `VIAL_SMOKE_NODE=22.23.3,24.21.0` runs more lines than CI's.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { partial_ratio, ratio } from "fuzzball";
import { CI_NODE_RELEASE, nodeRelease } from "./node-release.ts";
import { copyProject, type ProjectCopy } from "./project-copy.ts";
import { MALLOC_ENV } from "../../runtime/malloc-env.ts";
import { projectBin, projectTest, serveStore, vial, waitReady, type Served, type Smoke } from "./smoke.ts";

const LINES = (process.env.VIAL_SMOKE_NODE ?? CI_NODE_RELEASE).split(",").map((v) => v.trim());
const BASELINE = "Mocha Cheesecake Fudge Brownie Bars";
const ROWS = [{ text: "Mocha brownie bars" }, { text: "cheesecake" }];

interface EnvironmentView {
  name: string;
  engine: { running: string; reason?: string };
}

describe.each(LINES)("on Node %s from the npm registry", (version) => {
  const major = Number(version.split(".")[0]);
  let project: ProjectCopy;
  let smoke: Smoke;
  let served: Served | undefined;
  const timings: Record<string, number> = {};

  beforeAll(async () => {
    let t = Date.now();
    const release = await nodeRelease(version);
    timings.nodeRelease = Date.now() - t;
    project = await copyProject(release);
    timings.npmCi = project.npmCiMs;
    smoke = { release, dir: project.dir, store: await mkdtemp(join(tmpdir(), "vial-node-store-")) };
  });

  afterAll(async () => {
    if (served) await served.stop();
    console.log(`Node ${version}: ${Object.entries(timings).map(([step, ms]) => `${step} ${(ms / 1000).toFixed(1)} s`).join(", ")}`);
    if (project) await rm(project.dir, { recursive: true, force: true });
    if (smoke) await rm(smoke.store, { recursive: true, force: true });
  });

  /** The line the loader picks: 7 from Node 24 on, 6 on 22, both prebuilt for them (5, built from source, is for 20). */
  const line = major >= 24 ? "isolated-vm-7" : major >= 22 ? "isolated-vm-6" : "isolated-vm";

  it("npm ci installs the isolated-vm line for it", () => {
    expect(project.isolatedVm).toContain(line);
    // npm skips the lines whose engines exclude this Node.
    if (major < 24) expect(project.isolatedVm).not.toContain("isolated-vm-7");
  });

  it("type-checks", async () => {
    const { code, output } = await projectBin(smoke, "tsc", ["--noEmit", "-p", "."]);
    expect(output).toBe("");
    expect(code).toBe(0);
  });

  it("builds the example into a v8 and a quickjs environment", async () => {
    const t = Date.now();
    for (const [env, engine] of [["fuzzy", "v8"], ["fuzzy-qjs", "quickjs"]]) {
      await vial(smoke, ["env", "create", "--name", env, "--requirements", "examples/fuzzy-similarity/package.json", "--engine", engine]);
      expect(await vial(smoke, ["deploy", "examples/fuzzy-similarity/features.ts", "--env", env])).toMatch(new RegExp(`published ${env}@[0-9a-f]{16} \\(${engine}`));
    }
    timings.build = Date.now() - t;
  });

  it("serves both, V8 isolates included, and answers over HTTP", async () => {
    const t = Date.now();
    served = await serveStore(smoke);
    await waitReady(served.address);
    timings.ready = Date.now() - t;
    // Started by hand, the host restarted itself in place with the image's malloc settings (runtime/malloc-env.ts).
    const environ = (await readFile(`/proc/${served.process.pid}/environ`, "utf8")).split("\0");
    expect(environ).toEqual(expect.arrayContaining(Object.entries(MALLOC_ENV).map(([name, value]) => `${name}=${value}`)));
    const listing = (await (await fetch(`${served.address}/v1/environments`)).json()) as {
      environments: EnvironmentView[];
      sandbox: { permissionModel: boolean; v8: { isolatedVm?: string } };
    };
    const engines = Object.fromEntries(listing.environments.map((e) => [e.name, e.engine]));
    expect(engines).toEqual({ fuzzy: { version: "v8", running: "v8" }, "fuzzy-qjs": { version: "quickjs", running: "component" } });
    expect(listing.sandbox.permissionModel).toBe(true);
    expect(listing.sandbox.v8.isolatedVm).toMatch(new RegExp(`^${line} \\d+\\.\\d+\\.\\d+$`));
    const expected = ROWS.map((r) => ({ similarity: ratio(BASELINE, r.text), partial_similarity: partial_ratio(BASELINE, r.text) }));
    for (const env of ["fuzzy", "fuzzy-qjs"]) {
      const response = await fetch(`${served.address}/v1/invoke/${env}/fuzzy_similarity`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ rows: ROWS }),
      });
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual({ rows: expected, errors: [] });
    }
  });

  it("stops cleanly on SIGTERM", async () => {
    const code = await served!.stop();
    served = undefined;
    expect(code).toBe(0);
  });

  const sandboxTests = [
    { step: "sandboxTest", file: "executor-sandbox", tests: 3, what: "keeps code that escaped into an executor in its sandbox" },
    { step: "confinementTest", file: "confinement", tests: 4, what: "sets the executors' own layers, and they hold native code" },
  ];
  for (const { step, file, tests, what } of sandboxTests) {
    it(`${what} (test/security/${file}.test.ts)`, async () => {
      const t = Date.now();
      const result = await projectTest(smoke, `test/security/${file}.test.ts`);
      timings[step] = Date.now() - t;
      expect(result.failed, result.output).toBe(0);
      expect(result.passed, result.output).toBe(tests);
    });
  }
});
