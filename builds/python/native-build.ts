// Builds (once) and caches a native package's extension modules for one
// interpreter build: keyed by the package version, the interpreter's digest,
// the source's digest, the recipe (its settings, patches, files and the
// scripts) and the builds it is compiled against.
import { createHash } from "node:crypto";
import { readdir, readFile, rm } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { BuildLog, runLogged } from "../build-log.ts";
import { cachedBuild } from "./cached-build.ts";
import type { InterpreterBuild } from "./interpreter.ts";
import type { NativeRecipe } from "./recipes/recipe.ts";
import { recipeFor, recipeSettings } from "./recipes/index.ts";

const SCRIPTS = join(dirname(fileURLToPath(import.meta.url)), "native");

/** One extension module linked into the interpreter: `PyImport_AppendInittab(module, init)`. */
export interface ExtensionModule {
  module: string;
  init: string;
  /** The module as one relocatable wasm object. */
  object: string;
}

export interface NativeBuild {
  dir: string;
  /** The package's Python files, for pip. */
  wheel: string;
  modules: ExtensionModule[];
}

export interface NativeBuildRequest {
  recipe: NativeRecipe;
  version: string;
  sdist: string;
  interp: InterpreterBuild;
  /** Builds of the packages the recipe needs, by name. */
  deps: Map<string, NativeBuild>;
  cacheDir: string;
  onProgress?: (msg: string) => void;
}

export async function ensureNativeBuild(req: NativeBuildRequest): Promise<NativeBuild> {
  const { recipe, version, cacheDir } = req;
  const dir = await cachedBuild({
    cacheDir,
    prefix: `native-${recipe.name}-${version}-`,
    key: await buildKey(req),
    marker: "modules.json",
    what: `${recipe.name} ${version}`,
    onProgress: req.onProgress,
    build: (into) => build(into, req),
  });
  return describe(dir, recipe, version);
}

async function buildKey({ recipe, sdist, interp, deps }: NativeBuildRequest): Promise<string> {
  const h = createHash("sha256").update(interp.digest).update(await readFile(sdist));
  h.update(recipeSettings(recipe));
  for (const file of recipeFiles(recipe)) h.update(await readFile(file));
  if (recipe.sdistFiles) for (const f of await filesUnder(recipe.sdistFiles)) h.update(f).update(await readFile(join(recipe.sdistFiles, f)));
  for (const script of (await readdir(SCRIPTS)).sort()) h.update(script).update(await readFile(join(SCRIPTS, script)));
  // A dependency's build folder is named by its own key.
  for (const name of recipe.needs) h.update(dependency(deps, recipe, name).dir);
  return h.digest("hex").slice(0, 16);
}

/** The recipe's own files whose contents the build reads. */
const recipeFiles = (recipe: NativeRecipe): string[] => [...recipe.patches, ...(recipe.buildTimeInit ? [recipe.buildTimeInit] : [])];

async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name).slice(dir.length + 1)).sort();
}

function dependency(deps: Map<string, NativeBuild>, recipe: NativeRecipe, name: string): NativeBuild {
  const built = deps.get(name);
  if (!built) throw new Error(`${recipe.name} is compiled against ${name}, which was not built first`);
  return built;
}

async function build(into: string, { recipe, version, sdist, interp, deps, cacheDir, onProgress }: NativeBuildRequest): Promise<void> {
  const work = join(cacheDir, `native-${recipe.name}-work-${process.pid}`);
  onProgress?.(`building ${recipe.name} ${version} for wasm32-wasi (first time takes a few minutes)`);
  const env = {
    ...process.env,
    ...recipe.env,
    VIAL_NAME: recipe.name,
    VIAL_VERSION: version,
    VIAL_APT: recipe.apt.join(" "),
    VIAL_SYSTEM: recipe.build.system,
    VIAL_BUILD_ARGS: (recipe.build.system === "meson" ? recipe.build.options : recipe.build.args).join(" "),
    VIAL_TOOLS: recipe.build.system === "meson" ? recipe.build.tools.join(" ") : "",
    VIAL_SDIST_FILES: recipe.sdistFiles ?? "",
    VIAL_PATCHES: recipe.patches.join(" "),
    VIAL_CFLAGS: recipe.cflags.join(" "),
    VIAL_DEPS: recipe.needs.map((name) => dependencyView(name, dependency(deps, recipe, name))).join(" "),
    VIAL_DROP: recipe.drop.join(" "),
  };
  const log = BuildLog.open(cacheDir, `native-${recipe.name}-${version}`);
  // On failure the work folder stays: its build.log has the package's own build output.
  await runLogged(`building ${recipe.name} ${version} for the sandbox`, "bash", [join(SCRIPTS, "cross-build.sh"), sdist, into, interp.dir, work], log, {
    env,
    onLine: (l) => { if (l.startsWith("==> ")) onProgress?.(`${recipe.name}: ${l.slice(4)}`); },
  });
  await log.discard();
  await rm(work, { recursive: true, force: true });
}

/** `package:wheel[:init]` for cross-build.sh: the dependency's files, and what stands in for its __init__.py. */
function dependencyView(name: string, built: NativeBuild): string {
  const init = recipeFor(name)?.buildTimeInit;
  return [importName(name), built.wheel, ...(init ? [init] : [])].join(":");
}

const importName = (distribution: string): string => distribution.replace(/-/g, "_");

async function describe(dir: string, recipe: NativeRecipe, version: string): Promise<NativeBuild> {
  const modules = JSON.parse(await readFile(join(dir, "modules.json"), "utf8")) as ExtensionModule[];
  return {
    dir,
    wheel: join(dir, `${recipe.name.replace(/-/g, "_")}-${version}-py3-none-any.whl`),
    modules: modules.map((m) => ({ ...m, object: join(dir, m.object) })),
  };
}
