/** The native packages vial can build, by distribution name. */
import { basename } from "node:path";
import type { NativeRecipe } from "./recipe.ts";
import { numpy } from "./numpy.ts";
import { pandas } from "./pandas.ts";

const RECIPES: NativeRecipe[] = [numpy, pandas];

/** pip's normalized form of a distribution name. */
export const normalizeName = (name: string): string => name.toLowerCase().replace(/[-_.]+/g, "-");

export function recipeFor(name: string): NativeRecipe | undefined {
  return RECIPES.find((r) => r.name === normalizeName(name));
}

export const recipeNames = (): string[] => RECIPES.map((r) => r.name);

/** What a recipe says, without where this checkout keeps its files (digests read their contents). */
export function recipeSettings(recipe: NativeRecipe): string {
  const { supports: _, patches, shippedSources, buildTimeInit, sdistFiles, ...rest } = recipe;
  return JSON.stringify({
    ...rest,
    patches: patches.map((p) => basename(p)),
    shipped: Object.keys(shippedSources),
    buildTimeInit: buildTimeInit && basename(buildTimeInit),
    sdistFiles: sdistFiles && basename(sdistFiles),
  });
}
