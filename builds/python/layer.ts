/**
 * A Python environment's dependency layer: the requirements installed into a
 * site-packages folder, stored under the digest of the requirements file,
 * every local file it names and the recipes of its native packages, and reused
 * when that digest is unchanged. Native packages are built first (native-layer.ts).
 */
import { existsSync } from "node:fs";
import { readdir, readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import { installPythonRequirements, parseRequirements, reachableIndexes, requirementsDigest } from "./requirements.ts";
import { nativeRequirements } from "./native-requirements.ts";
import { recipeSettings } from "./recipes/index.ts";
import { buildNativePackages } from "./native-layer.ts";
import { buildCacheDir } from "../cache-dir.ts";
import { sha256 } from "../../runtime/digest.ts";
import type { Store } from "../store.ts";
import type { Layer } from "../js/layer.ts";
import type { ResolvedDependency } from "../../runtime/manifest.ts";

export const SITE_PACKAGES = "site-packages";

export async function createPythonLayer(store: Store, requirementsFile: string, progress: (msg: string) => void): Promise<Layer> {
  const req = await parseRequirements(requirementsFile);
  const recipes = nativeRequirements(req.lines).map(({ recipe, version }) => `${version} ${recipeSettings(recipe)}`);
  const digest = sha256((await requirementsDigest(requirementsFile)) + recipes.join("\n")).slice(0, 16);
  const dir = store.layerDir("python", digest);
  if (existsSync(dir)) {
    progress(`layer ${digest} unchanged: reused`);
    return { digest, dir, reused: true, dependencies: await pythonLayerDependencies(dir) };
  }
  const staged = await store.staging();
  try {
    progress(`installing requirements into layer ${digest}`);
    const wheels = await buildNativePackages(req.lines, staged, buildCacheDir(), () => reachableIndexes(req), progress);
    await installPythonRequirements(requirementsFile, join(staged, SITE_PACKAGES), progress, wheels.byLine, wheels.needed);
    await store.publishFolder(staged, dir);
  } catch (error) {
    await rm(staged, { recursive: true, force: true });
    throw error;
  }
  progress(`layer ${digest} ready`);
  return { digest, dir, reused: false, dependencies: await pythonLayerDependencies(dir) };
}

/** Installed distributions, from their dist-info folders; the RECORD's digest stands for integrity. */
export async function pythonLayerDependencies(dir: string): Promise<ResolvedDependency[]> {
  const site = join(dir, SITE_PACKAGES);
  if (!existsSync(site)) return [];
  const infos = (await readdir(site)).filter((d) => d.endsWith(".dist-info")).sort();
  return Promise.all(
    infos.map(async (info) => {
      const metadata = await readFile(join(site, info, "METADATA"), "utf8");
      const field = (name: string) => metadata.match(new RegExp(`^${name}: (.+)$`, "m"))?.[1].trim() ?? "unknown";
      const record = join(site, info, "RECORD");
      return {
        name: field("Name"),
        version: field("Version"),
        integrity: existsSync(record) ? `sha256-${sha256(await readFile(record))}` : undefined,
      };
    }),
  );
}
