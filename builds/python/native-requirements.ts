// Requirement lines that name a package vial builds from a recipe:
// `numpy`, `numpy==1.24.2`, or a local sdist such as ./numpy-1.24.2.tar.gz;
// with the packages those need (pandas: numpy), in the order they build.
import { basename } from "node:path";
import { VialError } from "../errors.ts";
import { recipeFor } from "./recipes/index.ts";
import type { NativeRecipe } from "./recipes/recipe.ts";

export interface NativeRequirement {
  recipe: NativeRecipe;
  version: string;
  /** The line as pip would have got it; none for a package only another one needs. */
  line?: string;
  /** The requested package that brought this one in, when no line names it. */
  neededBy?: string;
  localSdist?: string;
}

const SDIST = /^(.+?)-(\d[^-]*?)\.(tar\.gz|tgz|tar\.xz|tar\.bz2|zip)$/;
const REQUIREMENT = /^([A-Za-z0-9][A-Za-z0-9._-]*)\s*(?:\[[^\]]*\])?\s*([^;]*)/;

/** The native requirements among pip lines (local paths already absolute). */
export function nativeRequirements(lines: string[]): NativeRequirement[] {
  const found: NativeRequirement[] = [];
  for (const line of lines) {
    const sdist = line.startsWith("/") ? SDIST.exec(basename(line)) : null;
    const [name, spec] = sdist ? [sdist[1], `==${sdist[2]}`] : (REQUIREMENT.exec(line) ?? []).slice(1);
    const recipe = name ? recipeFor(name) : undefined;
    if (!recipe) continue;
    const version = versionOf(recipe, spec.trim());
    if (!recipe.supports(version)) {
      throw new VialError(`vial's ${recipe.name} recipe does not build ${recipe.name} ${version}: use ${recipe.name}==${recipe.defaultVersion}`);
    }
    found.push({ recipe, version, line, localSdist: sdist ? line : undefined });
  }
  return withNeeds(found);
}

/** Each package after the ones it needs; a need no line names gets its recipe's default version. */
function withNeeds(named: NativeRequirement[]): NativeRequirement[] {
  const ordered: NativeRequirement[] = [];
  const add = (req: NativeRequirement, path: string[]) => {
    if (ordered.some((r) => r.recipe === req.recipe)) return;
    for (const name of req.recipe.needs) {
      if (path.includes(name)) throw new Error(`recipes need each other: ${[...path, name].join(" -> ")}`);
      const need = recipeFor(name);
      if (!need) throw new Error(`the ${req.recipe.name} recipe needs ${name}, which has no recipe`);
      add(named.find((r) => r.recipe === need) ?? { recipe: need, version: need.defaultVersion, neededBy: req.neededBy ?? req.recipe.name }, [...path, name]);
    }
    ordered.push(req);
  };
  for (const req of named) add(req, [req.recipe.name]);
  return ordered;
}

function versionOf(recipe: NativeRecipe, spec: string): string {
  if (spec === "") return recipe.defaultVersion;
  const pinned = /^===?\s*([0-9][0-9A-Za-z.]*)$/.exec(spec);
  if (!pinned) {
    throw new VialError(`${recipe.name}${spec}: pin ${recipe.name} to one version (${recipe.name}==${recipe.defaultVersion}); vial builds it from source for the sandbox`);
  }
  return pinned[1];
}
