/** The native packages vial can build, by distribution name. */
import type { NativeRecipe } from "./recipe.ts";
import { numpy } from "./numpy.ts";

const RECIPES: NativeRecipe[] = [numpy];

/** pip's normalized form of a distribution name. */
export const normalizeName = (name: string): string => name.toLowerCase().replace(/[-_.]+/g, "-");

export function recipeFor(name: string): NativeRecipe | undefined {
  return RECIPES.find((r) => r.name === normalizeName(name));
}

export const recipeNames = (): string[] => RECIPES.map((r) => r.name);
