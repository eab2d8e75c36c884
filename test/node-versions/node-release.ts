/**
 * A Node release from the npm registry: the `node` package installs the
 * release's own binary and headers (`node-<platform>-<arch>`), so a Node line
 * other than the machine's can be tried without anything but npm. Kept per
 * version in the cache folder, installed aside and renamed into place.
 */
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, rename, rm } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { IMAGE_NODE_RELEASE } from "../../builds/image/node-release.ts";
import { buildCacheDir } from "../../builds/cache-dir.ts";

const run = promisify(execFile);

export interface NodeRelease {
  version: string;
  /** The folder holding `node`: put it first on PATH so npm, scripts and children run this release. */
  binDir: string;
  node: string;
  /** The release's headers (`include/node`), for native addons built at `npm ci` (npm's `nodedir`). */
  nodedir: string;
}

/** The Node line CI tries besides the machine's: the release images are built on. */
export const CI_NODE_RELEASE = IMAGE_NODE_RELEASE;


function layout(root: string, version: string): NodeRelease {
  const platform = `node-${process.platform}-${process.arch}`;
  const nodedir = join(root, "node_modules", "node", "node_modules", platform);
  return { version, binDir: join(nodedir, "bin"), node: join(nodedir, "bin", "node"), nodedir };
}

async function installedVersion(node: string): Promise<string | undefined> {
  if (!existsSync(node)) return undefined;
  const { stdout } = await run(node, ["--version"]).catch(() => ({ stdout: "" }));
  return stdout.trim().replace(/^v/, "") || undefined;
}

export async function nodeRelease(version: string, cache = buildCacheDir()): Promise<NodeRelease> {
  const root = join(cache, `node-${version}`);
  const release = layout(root, version);
  if ((await installedVersion(release.node)) === version) return release;
  await mkdir(cache, { recursive: true });
  const staged = `${root}.tmp-${process.pid}`;
  await rm(staged, { recursive: true, force: true });
  await mkdir(staged);
  // The package's install script fetches the platform's binary package from the same registry.
  await run("npm", ["install", "--prefix", staged, "--no-save", "--no-package-lock", "--no-audit", "--no-fund", `node@${version}`], { timeout: 600_000 });
  const got = await installedVersion(layout(staged, version).node);
  if (got !== version) throw new Error(`npm installed node ${got ?? "(nothing)"} into ${staged}, not ${version}`);
  await rm(root, { recursive: true, force: true });
  await rename(staged, root);
  return release;
}

/** The environment for a child that must run entirely on `release`: its node first on PATH, its headers for addons. */
export function releaseEnv(release: NodeRelease, base: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...base, PATH: `${release.binDir}:${base.PATH ?? ""}`, npm_config_nodedir: release.nodedir };
  // Variables a parent npm or vitest run leaves behind would point children at the machine's own Node.
  for (const key of Object.keys(env)) if (/^(npm_node_execpath|npm_execpath|NODE_OPTIONS|VITEST.*)$/i.test(key)) delete env[key];
  return env;
}
