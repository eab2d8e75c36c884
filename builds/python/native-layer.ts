/**
 * Native packages in a Python layer. At `env create` each is built (or found
 * in the cache), its Python files are installed with the rest, and its source
 * is kept in the layer with a native.json naming it; at deploy the layer's
 * record gives the extension modules to link, rebuilt from the kept source
 * if the interpreter has changed since.
 */
import { existsSync } from "node:fs";
import { copyFile, mkdir, readFile, writeFile } from "node:fs/promises";
import { basename, join } from "node:path";
import { ensureInterpreter } from "./interpreter.ts";
import { ensureNativeBuild, type ExtensionModule, type NativeBuild } from "./native-build.ts";
import { findSource } from "./native-source.ts";
import { nativeRequirements } from "./native-requirements.ts";
import { recipeFor } from "./recipes/index.ts";
import { VialError } from "../errors.ts";

const RECORD = "native.json";

interface NativeRecord {
  name: string;
  version: string;
  /** Source archive, relative to the layer. */
  sdist: string;
}

/** Wheels of the native packages' Python files, for the install that follows. */
export interface NativeWheels {
  /** pip line -> the wheel that replaces it. */
  byLine: Map<string, string>;
  /** Wheels of packages no line names, which a requested one needs. */
  needed: string[];
}

/** Builds the layer's native packages, each after the ones it is compiled against. */
export async function buildNativePackages(
  lines: string[],
  layerDir: string,
  cacheDir: string,
  indexes: () => Promise<string[]>,
  progress: (msg: string) => void,
): Promise<NativeWheels> {
  const wanted = nativeRequirements(lines);
  const wheels: NativeWheels = { byLine: new Map(), needed: [] };
  if (wanted.length === 0) return wheels;
  const interp = await ensureInterpreter({ cacheDir, onProgress: progress });
  const records: NativeRecord[] = [];
  const builds = new Map<string, NativeBuild>();
  await mkdir(join(layerDir, "native"), { recursive: true });
  for (const { recipe, version, line, localSdist, neededBy } of wanted) {
    const built = await forPackage(neededBy, recipe.name, async () => {
      const found = await findSource({ recipe, version, localSdist, indexes, work: join(layerDir, "native"), cacheDir, progress });
      const sdist = join("native", basename(found));
      if (found !== join(layerDir, sdist)) await copyFile(found, join(layerDir, sdist));
      records.push({ name: recipe.name, version, sdist });
      return ensureNativeBuild({ recipe, version, sdist: join(layerDir, sdist), interp, deps: builds, cacheDir, onProgress: progress });
    });
    builds.set(recipe.name, built);
    if (line) wheels.byLine.set(line, built.wheel);
    else wheels.needed.push(built.wheel);
  }
  await writeFile(join(layerDir, RECORD), JSON.stringify(records, null, 2));
  return wheels;
}

/** A failure while building a package no line names says which requested package needed it. */
async function forPackage<T>(neededBy: string | undefined, name: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (e) {
    if (!neededBy || !(e instanceof VialError)) throw e;
    throw new VialError(`${neededBy} needs ${name}, which vial builds from source: ${e.message}`);
  }
}

/** The extension modules a layer's native packages bring, built for the current interpreter. */
export async function layerExtensions(layerDir: string, cacheDir: string, progress: (msg: string) => void): Promise<ExtensionModule[]> {
  if (!existsSync(join(layerDir, RECORD))) return [];
  const records = JSON.parse(await readFile(join(layerDir, RECORD), "utf8")) as NativeRecord[];
  const interp = await ensureInterpreter({ cacheDir, onProgress: progress });
  const modules: ExtensionModule[] = [];
  const builds = new Map<string, NativeBuild>();
  // Recorded in build order: a package's dependencies come before it.
  for (const { name, version, sdist } of records) {
    const recipe = recipeFor(name);
    if (!recipe) throw new VialError(`this layer was built with a ${name} recipe this vial does not have: run 'vial env create' again`);
    const built = await ensureNativeBuild({ recipe, version, sdist: join(layerDir, sdist), interp, deps: builds, cacheDir, onProgress: progress });
    builds.set(name, built);
    modules.push(...built.modules);
  }
  return modules;
}
