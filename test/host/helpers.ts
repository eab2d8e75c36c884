/** Builds the stores the host tests serve: real components, deployed the way `vial deploy` does. */
import { cp, mkdir, mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Store } from "../../builds/store.ts";
import { createEnvironment } from "../../builds/env-create.ts";
import { deploy } from "../../builds/deploy.ts";
import { transpileComponent, BINDINGS_NAME } from "../../builds/transpile.ts";
import { WIT_DIR, WORLD } from "../../builds/js/engines.ts";
import { sha256 } from "../../runtime/digest.ts";
import type { Manifest } from "../../runtime/manifest.ts";

export const FIXTURES = fileURLToPath(new URL("./fixtures/", import.meta.url));
export const REPO = fileURLToPath(new URL("../../", import.meta.url));

export async function tempStore(): Promise<Store> {
  return new Store(await mkdtemp(join(tmpdir(), "vial-host-test-")));
}

export async function deployModule(store: Store, env: string, requirements: string, modulePath: string): Promise<string> {
  await createEnvironment({ name: env, requirements, store });
  const { manifest } = await deploy({ store, env, modulePath });
  return manifest.version;
}

/**
 * Publishes a component that imports WASI (componentized with stubWasi off),
 * bypassing deploy's own check, as a tampered or foreign store could hold it.
 * `declareImports: false` also hides the imports from the manifest.
 */
export async function publishWasiImporter(store: Store, env: string, declareImports: boolean): Promise<string> {
  const { componentize } = await import("componentize-qjs");
  const jsSource = [
    `export function describe() { return JSON.stringify({ functions: [{ name: "hello", mode: "row", inputs: [], outputs: [] }] }); }`,
    `export function reseed(entropy) {}`,
    `export function call(fn, batch) { console.log("hello"); return JSON.stringify({ rows: [], errors: [] }); }`,
  ].join("\n");
  const { component } = await componentize({ witPath: WIT_DIR, world: WORLD, jsSource, stubWasi: false, sync: true });
  const transpiled = await transpileComponent(component);
  const version = sha256(component).slice(0, 16);
  const dir = store.versionDir(env, version);
  await mkdir(join(dir, "core"), { recursive: true });
  await writeFile(join(dir, "component.wasm"), component);
  await writeFile(join(dir, `${BINDINGS_NAME}.mjs`), transpiled.bindings);
  for (const [file, bytes] of transpiled.core) await writeFile(join(dir, "core", file), bytes);
  const manifest: Manifest = {
    environment: env,
    version,
    language: "js",
    engine: "quickjs",
    dependencies: [],
    functions: [{ name: "hello", mode: "row", inputs: [], outputs: [] }],
    imports: declareImports ? transpiled.imports : [],
    component: { file: "component.wasm", bytes: component.length, sha256: sha256(component) },
    core: [...transpiled.core].map(([file, bytes]) => ({ file, sha256: sha256(bytes) })),
    bindings: { file: `${BINDINGS_NAME}.mjs`, sha256: sha256(transpiled.bindings) },
    toolchain: {},
    buildMs: 0,
    createdAt: new Date().toISOString(),
  };
  await writeFile(join(dir, "manifest.json"), JSON.stringify(manifest, null, 2));
  await store.writeEnvironment({ name: env, language: "js", engine: "quickjs", layer: "none", requirements: "none", createdAt: manifest.createdAt });
  await store.setCurrent(env, version);
  return version;
}

/** Copies a published version into another environment with one core module byte changed. */
export async function publishTampered(store: Store, fromEnv: string, version: string, env: string): Promise<void> {
  const dir = store.versionDir(env, version);
  await cp(store.versionDir(fromEnv, version), dir, { recursive: true });
  const manifest = JSON.parse(await readFile(join(dir, "manifest.json"), "utf8")) as Manifest;
  await writeFile(join(dir, "manifest.json"), JSON.stringify({ ...manifest, environment: env }));
  const core = join(dir, "core", manifest.core[0]!.file);
  const bytes = await readFile(core);
  bytes[bytes.length - 1] ^= 0xff;
  await writeFile(core, bytes);
  await store.writeEnvironment({ ...(await store.readEnvironment(fromEnv)), name: env });
  await store.setCurrent(env, version);
}

/** Reads one sample of a Prometheus text exposition (0 when absent). */
export function metricValue(text: string, name: string, labels: Record<string, string> = {}): number {
  const wanted = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  let total = 0;
  for (const line of text.split("\n")) {
    if (!line.startsWith(name + "{") && !line.startsWith(name + " ")) continue;
    if (wanted.every((w) => line.includes(w))) total += Number(line.slice(line.lastIndexOf(" ") + 1));
  }
  return total;
}

/** Polls `check` until it returns true (no timing assertions: the test's own timeout bounds it). */
export async function eventually(check: () => Promise<boolean> | boolean, everyMs = 50): Promise<void> {
  while (!(await check())) await new Promise((resolve) => setTimeout(resolve, everyMs));
}

/** An environment's executor as `GET /v1/environments` shows it. */
export async function executorOf(base: string, env: string): Promise<{ pid: number; status: string }> {
  const { environments } = (await (await fetch(`${base}/v1/environments`)).json()) as { environments: Array<{ name: string; executor: { pid: number; status: string } }> };
  return environments.find((e) => e.name === env)!.executor;
}

/** Whether an environment's executor runs and all `size` of its instances are idle. */
export async function executorIdle(base: string, env: string, size: number): Promise<boolean> {
  const metrics = await (await fetch(`${base}/metrics`)).text();
  return (await executorOf(base, env)).status === "running" && metricValue(metrics, "vial_instances", { env, state: "idle" }) === size;
}
