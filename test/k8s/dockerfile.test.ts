/**
 * The Dockerfile, read: its stages, base and user against what the manifests
 * assume, every file the image's commands load copied in and not ignored, and
 * the store stage's script run for real on a deployed store, with and without
 * the versions it is asked for. test/image builds and runs it.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, readdir, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { promisify } from "node:util";
import { build } from "esbuild";
import { createEnvironment } from "../../builds/env-create.ts";
import type { Store } from "../../builds/store.ts";
import { APP_PATH, STORE_PATH, VIAL_UID } from "../../cli/k8s/pod.ts";
import { CI_NODE_RELEASE } from "../node-versions/node-release.ts";
import { copyParts, ignoredBy, parseDockerfile, type Stage } from "./dockerfile.ts";
import { SOURCES } from "../../builds/image/serving-tree.ts";
import { EXAMPLE, REPO, deployedStore } from "./helpers.ts";
import { deployModule } from "../host/helpers.ts";
import { MALLOC_ENV } from "../../runtime/malloc-env.ts";

const run = promisify(execFile);
const dockerfile = parseDockerfile(await readFile(join(REPO, "Dockerfile"), "utf8"));
const ignored = ignoredBy(await readFile(join(REPO, ".dockerignore"), "utf8"));
const stage = (name: string): Stage => dockerfile.stages.find((s) => s.name === name)!;
const runtime = dockerfile.stages.at(-1)!;
const instructions = (s: Stage, keyword: string) => s.instructions.filter((i) => i.keyword === keyword);
/** What the build stage copies from the build context, as paths relative to it. */
const copiedFromContext = instructions(stage("build"), "COPY").filter((i) => !copyParts(i).flags.from).flatMap((i) => copyParts(i).sources);

let store: Store;

beforeAll(async () => {
  // Inside the repository, as a build context holds its store; two versions of one environment, one never deployed.
  store = await deployedStore(["fuzzy"], join(REPO, ".scratch"));
  const fixtures = join(REPO, "test", "host", "fixtures");
  for (const v of ["v1", "v2"]) await deployModule(store, "counter", join(fixtures, "package.json"), join(fixtures, `counter-${v}.ts`));
  await createEnvironment({ name: "undeployed", requirements: join(EXAMPLE, "package.json"), store });
});

afterAll(async () => {
  if (store) await rm(store.root, { recursive: true, force: true });
});

describe("the Dockerfile", () => {
  it("builds in stages from a slim image of the Node LTS line CI tests, and can use build mounts", () => {
    expect(dockerfile.directives).toContain("syntax=docker/dockerfile:1");
    expect(dockerfile.stages.map((s) => s.name)).toEqual(["build", "store", "envs", "runtime"]);
    for (const s of dockerfile.stages) expect(s.image).toBe("${NODE_IMAGE}");
    expect(dockerfile.globalArgs.NODE_IMAGE).toBe("node:${NODE_VERSION}-bookworm-slim");
    const major = Number(dockerfile.globalArgs.NODE_VERSION);
    expect(major % 2 === 0 && major >= 22).toBe(true);
    expect(major).toBe(Number(CI_NODE_RELEASE.split(".")[0]));
  });

  it("installs production dependencies in the build stage, and the final image takes only the serving tree from it", () => {
    expect(instructions(stage("build"), "RUN").map((i) => i.args).join(" ")).toMatch(/npm ci --omit=dev[\s\S]*serving-tree\.ts \/app/);
    expect(instructions(runtime, "COPY").map((i) => i.args)).toContain("--from=build /app ./");
  });

  it("runs as the non-root user the manifests name, the store where they look for it", () => {
    expect(instructions(runtime, "USER").map((i) => i.args)).toEqual([`${VIAL_UID}:${VIAL_UID}`]);
    expect(instructions(runtime, "RUN").map((i) => i.args).join(" ")).toMatch(new RegExp(`useradd --uid ${VIAL_UID} --gid ${VIAL_UID}`));
    expect(instructions(runtime, "WORKDIR").map((i) => i.args)).toEqual([APP_PATH]);
    expect(instructions(runtime, "COPY").map((i) => i.args)).toContain(`--from=envs /store ${STORE_PATH}`);
    expect(instructions(runtime, "ENV").map((i) => i.args)).toContain(`VIAL_STORE=${STORE_PATH}`);
    expect(instructions(runtime, "ENTRYPOINT").map((i) => JSON.parse(i.args))).toEqual([["node", `${APP_PATH}/bin/vial.js`]]);
  });

  it("starts the host with its malloc settings", () => {
    const env = instructions(runtime, "ENV").flatMap((i) => i.args.split(/\s+/));
    for (const [name, value] of Object.entries(MALLOC_ENV)) expect(env).toContain(`${name}=${value}`);
  });

  it("copies files that exist and that .dockerignore lets through", () => {
    for (const source of copiedFromContext) {
      expect(existsSync(join(REPO, source)), source).toBe(true);
      expect(ignored(source), source).toBe(false);
    }
    // The store comes as a build context of its own, never with the sources.
    for (const path of ["node_modules/hono/package.json", ".git/HEAD", ".vial/layers/js/x", ".vial/envs/fuzzy/current.json", "test/k8s/dockerfile.test.ts"]) expect(ignored(path), path).toBe(true);
  });

  it("has every module the command, an executor and a component thread load, and every package they import is a production dependency", async () => {
    const entries = ["cli/main.ts", "executor/main.ts", "runtime/component/worker.ts", "bin/vial.js"].map((f) => join(REPO, f));
    const { metafile } = await build({ entryPoints: entries, bundle: true, write: false, platform: "node", format: "esm", packages: "external", metafile: true, outdir: "out", logLevel: "silent" });
    const local = Object.keys(metafile.inputs).map((f) => relative(REPO, join(process.cwd(), f)));
    expect(local.length).toBeGreaterThan(50);
    const within = (paths: string[], file: string) => paths.some((c) => file === c || file.startsWith(`${c.replace(/\/$/, "")}/`));
    for (const file of [...local, "cli/k8s/socket-probe.mjs"]) {
      expect(within(copiedFromContext, file), `${file} is not copied into the build stage`).toBe(true);
      expect(within(SOURCES, file), `${file} is not in the serving tree`).toBe(true);
    }
    const pkg = JSON.parse(await readFile(join(REPO, "package.json"), "utf8")) as Record<string, Record<string, string>>;
    const kept = new Set([...Object.keys(pkg.dependencies!), ...Object.keys(pkg.optionalDependencies!)]);
    const imported = Object.values(metafile.outputs).flatMap((o) => o.imports.filter((i) => i.external).map((i) => i.path));
    const packages = new Set(imported.filter((p) => !p.startsWith("node:") && !p.startsWith(".") && !p.startsWith("/")).map((p) => p.split("/").slice(0, p.startsWith("@") ? 2 : 1).join("/")));
    expect(packages.size).toBeGreaterThan(5);
    for (const name of packages) expect(kept.has(name), `${name} is imported at run time but is not a production dependency`).toBe(true);
  });
});

describe("the store stage", () => {
  /** Its RUN, with the store's build context and the output folder placed here. */
  async function runStoreStage(envs: string, versions = ""): Promise<{ out: string; code: number; stderr: string }> {
    const out = join(await mkdtemp(join(tmpdir(), "vial-store-stage-")), "store");
    const script = instructions(stage("envs"), "RUN")[0]!.args.replace(/^--mount=\S+\s+/, "").replaceAll("/store", out).replaceAll("/context", store.root);
    const env = { ...process.env, VIAL_ENVS: envs, VIAL_VERSIONS: versions };
    const result = await run("sh", ["-c", script], { env }).then(
      () => ({ code: 0, stderr: "" }),
      (error: { code: number; stderr: string }) => ({ code: error.code, stderr: error.stderr }),
    );
    return { out, ...result };
  }

  it("keeps only the named environments, each with its current version, readable by the image's user", async () => {
    const { out, code, stderr } = await runStoreStage("fuzzy,counter");
    expect(code, stderr).toBe(0);
    expect(await readdir(join(out, "envs"))).toEqual(["counter", "fuzzy"]);
    for (const env of ["counter", "fuzzy"]) {
      const version = (await store.current(env))!.version;
      expect(await readdir(join(out, "envs", env, "versions"))).toEqual([version]);
      const manifest = await stat(join(out, "envs", env, "versions", version, "manifest.json"));
      expect([manifest.mode & 0o044, manifest.mode & 0o022]).toEqual([0o044, 0]);
    }
    expect(await store.versions("counter")).toHaveLength(2);
    await rm(join(out, ".."), { recursive: true, force: true });
  });

  it("stops the build for an environment with no deployed version, saying so", async () => {
    const { code, stderr, out } = await runStoreStage("fuzzy,undeployed");
    expect(code).not.toBe(0);
    expect(stderr).toMatch(/no deployed environment 'undeployed' in the store's envs: run 'vial deploy' first/);
    await rm(join(out, ".."), { recursive: true, force: true });
  });

  it("stops the build when an environment is not at the version asked for (a cached layer of an older store)", async () => {
    const [fuzzy, counter] = await Promise.all(["fuzzy", "counter"].map(async (env) => `${env}@${(await store.current(env))!.version}`));
    const asked = await runStoreStage("fuzzy,counter", `${fuzzy},counter@0000000000000000`);
    expect(asked.code).not.toBe(0);
    expect(asked.stderr).toMatch(/'counter' is at [0-9a-f]{16} in the store, not as asked \(.*counter@0000000000000000\)/);
    const current = await runStoreStage("fuzzy,counter", `${fuzzy},${counter}`);
    expect(current.code, current.stderr).toBe(0);
    for (const { out } of [asked, current]) await rm(join(out, ".."), { recursive: true, force: true });
  });
});
