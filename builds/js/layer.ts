/**
 * A JS environment's dependency layer: the requirements' `dependencies`
 * installed into node_modules, stored under the digest of the resolved lock (and
 * of any local packages' content), and reused when that digest is unchanged.
 */
import { readFile, writeFile, stat, readdir, rm } from "node:fs/promises";
import { existsSync } from "node:fs";
import { dirname, isAbsolute, join, resolve } from "node:path";
import { runCommand } from "../run-command.ts";
import { sha256 } from "../../runtime/digest.ts";
import { VialError } from "../errors.ts";
import type { Store } from "../store.ts";
import type { ResolvedDependency } from "../../runtime/manifest.ts";

export interface Layer {
  digest: string;
  dir: string;
  reused: boolean;
  dependencies: ResolvedDependency[];
}

const NPM_FLAGS = ["--ignore-scripts", "--no-audit", "--no-fund", "--install-links", "--loglevel=error"];

/**
 * Under `npm test` or `npm run`, npm's lifecycle variables would leak into the
 * nested npm; only the registry and cache settings are passed on.
 */
function npmEnv(): NodeJS.ProcessEnv {
  const keep = new Set(["npm_config_registry", "npm_config_cache", "npm_config_userconfig"]);
  return Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.toLowerCase().startsWith("npm_") || keep.has(k.toLowerCase())));
}

/** Local specs (file:, ./x.tgz, ../dir) are relative to the requirements file; npm needs them absolute. */
function localPath(spec: string, base: string): string | undefined {
  const path = spec.startsWith("file:") ? spec.slice(5) : /^(\.{1,2}\/|\/)/.test(spec) ? spec : undefined;
  if (path === undefined) return undefined;
  return isAbsolute(path) ? path : resolve(base, path);
}

async function readRequirements(file: string): Promise<Record<string, string>> {
  let parsed: { dependencies?: unknown };
  try {
    parsed = JSON.parse(await readFile(file, "utf8"));
  } catch (error) {
    throw new VialError(`cannot read requirements ${file}: ${(error as Error).message}`);
  }
  const deps = parsed.dependencies ?? {};
  if (typeof deps !== "object" || deps === null || Array.isArray(deps)) {
    throw new VialError(`requirements ${file}: "dependencies" must be an object of name -> version`);
  }
  return deps as Record<string, string>;
}

/** Content digest of a local package (a .tgz file or a folder), so edits to it make a new layer. */
async function localDigest(path: string): Promise<string> {
  if (!existsSync(path)) throw new VialError(`local dependency ${path} does not exist`);
  if ((await stat(path)).isFile()) return sha256(await readFile(path));
  const entries = (await readdir(path, { recursive: true, withFileTypes: true }))
    .filter((e) => e.isFile() && !join(e.parentPath, e.name).includes("node_modules"))
    .map((e) => join(e.parentPath, e.name))
    .sort();
  const parts = await Promise.all(entries.map(async (f) => `${f.slice(path.length)}:${sha256(await readFile(f))}`));
  return sha256(parts.join("\n"));
}

function npmFailure(step: string, stderr: string): VialError {
  const lines = stderr.split("\n").filter((l) => /npm error/.test(l) && !/A complete log|npm error\s*$/.test(l));
  const notFound = stderr.match(/404 Not Found - GET \S+\/([^/\s]+)/);
  if (notFound) return new VialError(`dependency '${decodeURIComponent(notFound[1])}' was not found in the npm registry: check its name and version in the requirements`);
  const noVersion = stderr.match(/No matching version found for (\S+)\./);
  if (noVersion) return new VialError(`no version of ${noVersion[1]} matches: check the version in the requirements`);
  return new VialError(`${step} failed: ${lines.map((l) => l.replace(/^npm error\s*/, "")).join(" ").slice(0, 400) || stderr.trim().slice(0, 400)}`);
}

/** The exact packages a layer holds, from its lock: what a manifest records. */
export async function layerDependencies(dir: string): Promise<ResolvedDependency[]> {
  return resolvedDependencies(JSON.parse(await readFile(join(dir, "package-lock.json"), "utf8")));
}

function resolvedDependencies(lock: { packages?: Record<string, { version?: string; integrity?: string; resolved?: string }> }): ResolvedDependency[] {
  return Object.entries(lock.packages ?? {})
    .filter(([path]) => path.startsWith("node_modules/"))
    .map(([path, info]) => ({
      name: path.slice(path.lastIndexOf("node_modules/") + "node_modules/".length),
      version: info.version ?? "unknown",
      integrity: info.integrity,
      resolved: info.resolved,
    }));
}

export async function createJsLayer(store: Store, requirementsFile: string, progress: (msg: string) => void): Promise<Layer> {
  const base = dirname(resolve(requirementsFile));
  const declared = await readRequirements(requirementsFile);
  const dependencies: Record<string, string> = {};
  const localDigests: string[] = [];
  for (const [name, spec] of Object.entries(declared)) {
    const path = localPath(String(spec), base);
    dependencies[name] = path ? `file:${path}` : String(spec);
    if (path) localDigests.push(`${name}:${await localDigest(path)}`);
  }

  const staged = await store.staging();
  try {
    return await install(store, staged, dependencies, localDigests, progress);
  } catch (error) {
    await rm(staged, { recursive: true, force: true });
    throw error;
  }
}

async function install(store: Store, staged: string, dependencies: Record<string, string>, localDigests: string[], progress: (msg: string) => void): Promise<Layer> {
  await writeFile(join(staged, "package.json"), JSON.stringify({ name: "vial-layer", private: true, dependencies }, null, 2));
  progress(`resolving ${Object.keys(dependencies).length} dependencies`);
  const lockResult = await runCommand("npm", ["install", "--package-lock-only", ...NPM_FLAGS], { cwd: staged, env: npmEnv() });
  if (lockResult.code !== 0) throw npmFailure("resolving dependencies", lockResult.stderr);
  const lockText = await readFile(join(staged, "package-lock.json"), "utf8");
  const lock = JSON.parse(lockText);
  const digest = sha256(JSON.stringify(lock.packages) + localDigests.join("\n")).slice(0, 16);
  const dir = store.layerDir("js", digest);
  const resolved = resolvedDependencies(lock);

  if (existsSync(dir)) {
    progress(`layer ${digest} unchanged: reused`);
    await rm(staged, { recursive: true, force: true });
    return { digest, dir, reused: true, dependencies: resolved };
  }
  progress(`installing ${resolved.length} packages into layer ${digest}`);
  const install = await runCommand("npm", ["ci", ...NPM_FLAGS], { cwd: staged, env: npmEnv() });
  if (install.code !== 0) throw npmFailure("installing dependencies", install.stderr);
  await store.publishFolder(staged, dir);
  progress(`layer ${digest} ready`);
  return { digest, dir, reused: false, dependencies: resolved };
}
