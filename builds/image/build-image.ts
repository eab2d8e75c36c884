/**
 * `npm run image -- --envs a,b [--store <dir>] [--tag <ref>]`: builds the
 * Dockerfile's serving image with podman (or docker), the named
 * environments' current versions baked in. The base is Docker Hub's Node
 * image where the engine has it or can pull it, else one made here of the
 * same Debian release and Node line (base.ts).
 */
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { buildCacheDir } from "../cache-dir.ts";
import { defaultStorePath } from "../store.ts";
import { runCommand } from "../run-command.ts";
import { containerEngine, ensureNodeBase, runEngine, type Engine } from "./base.ts";
import { IMAGE_NODE_RELEASE } from "./node-release.ts";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const OFFICIAL_BASE = `docker.io/library/node:${IMAGE_NODE_RELEASE.split(".")[0]}-bookworm-slim`;

export interface ImageOptions {
  envs: string[];
  store: string;
  tag: string;
  cacheDir?: string;
  log?: (line: string) => void;
}

export interface BuiltImage {
  tag: string;
  engine: Engine;
  base: string;
  bytes: number;
}

async function run(engine: Engine, args: string[], what: string): Promise<string> {
  const result = await runEngine(engine, args);
  if (result.code !== 0) throw new Error(`${what} failed (${engine.command} exit ${result.code}): ${(result.stderr.trim() || result.stdout.trim()).split("\n").slice(-15).join("\n")}`);
  return result.stdout;
}

/** Docker Hub's image if the engine has it or pulls it; else the one made here. */
async function nodeBase(engine: Engine, cacheDir: string, log: (line: string) => void): Promise<string> {
  for (const args of [["image", "inspect", OFFICIAL_BASE], ["pull", "--quiet", OFFICIAL_BASE]]) {
    if ((await runEngine(engine, args)).code === 0) return OFFICIAL_BASE;
  }
  log(`${OFFICIAL_BASE} cannot be pulled: making a base of Debian bookworm and Node ${IMAGE_NODE_RELEASE}`);
  return ensureNodeBase(engine, { nodeVersion: IMAGE_NODE_RELEASE, cacheDir, log });
}

/** `env@version` of each named environment's current version, or an error naming the one not deployed. */
async function currentVersions(store: string, envs: string[]): Promise<string[]> {
  return Promise.all(
    envs.map(async (env) => {
      const pointer = await readFile(join(store, "envs", env, "current.json"), "utf8").catch(() => {
        throw new Error(`no deployed environment '${env}' in ${store}: run 'vial deploy --env ${env}' first`);
      });
      return `${env}@${(JSON.parse(pointer) as { version: string }).version}`;
    }),
  );
}

/** npm's CA file here, if it has one: the build stage's `npm ci` goes through the same TLS proxy. */
async function npmCaFile(): Promise<string | undefined> {
  const result = await runCommand("npm", ["config", "get", "cafile"]);
  const file = result.stdout.trim();
  return result.code === 0 && file && file !== "null" && existsSync(file) ? file : undefined;
}

export async function buildImage(options: ImageOptions): Promise<BuiltImage> {
  const { envs, store, tag, log = () => {} } = options;
  const cacheDir = options.cacheDir ?? buildCacheDir();
  const versions = await currentVersions(store, envs);
  const engine = await containerEngine(cacheDir);
  const base = await nodeBase(engine, cacheDir, log);
  const npmCa = await npmCaFile();
  log(`building ${tag} on ${base} with ${versions.join(", ") || "no store"}`);
  await run(
    engine,
    [
      "build",
      // `npm ci` in the build stage reaches the npm registry; nothing else runs with a network.
      "--network",
      "host",
      "--build-arg",
      `NODE_IMAGE=${base}`,
      "--build-arg",
      `VIAL_ENVS=${envs.join(",")}`,
      "--build-arg",
      `VIAL_VERSIONS=${versions.join(",")}`,
      ...(envs.length > 0 ? ["--build-context", `store=${store}`] : []),
      ...(npmCa ? ["--secret", `id=npm-ca,src=${npmCa}`] : []),
      "--tag",
      tag,
      "--file",
      join(ROOT, "Dockerfile"),
      ROOT,
    ],
    `building ${tag}`,
  );
  const bytes = Number((await run(engine, ["image", "inspect", "--format", "{{.Size}}", tag], "reading the image's size")).trim());
  return { tag, engine, base, bytes };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({ options: { envs: { type: "string", default: "" }, store: { type: "string" }, tag: { type: "string" } } });
  const envs = values.envs!.split(",").filter(Boolean);
  const store = resolve(values.store ?? defaultStorePath());
  const tag = values.tag ?? `localhost/vial${envs.length > 0 ? `-${envs.join("-")}` : ""}:latest`;
  try {
    const image = await buildImage({ envs, store, tag, log: (line) => process.stderr.write(`${line}\n`) });
    console.log(`built ${image.tag} with ${image.engine.command} on ${image.base}: ${(image.bytes / 1e6).toFixed(0)} MB`);
  } catch (error) {
    console.error(`error: ${(error as Error).message}`);
    process.exit(1);
  }
}
