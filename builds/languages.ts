/**
 * Each language in one place: how its environments' dependency layers are
 * made, how a module becomes a component, and (from the runtime) what its
 * components are granted and which engines run them.
 */
import { basename } from "node:path";
import type { Language, ResolvedDependency } from "../runtime/manifest.ts";
import { languageRuntime, type LanguageRuntime } from "../runtime/languages.ts";
import type { BuildRequest, BuiltComponent } from "./built-component.ts";
import type { Store } from "./store.ts";
import { createJsLayer, layerDependencies, type Layer } from "./js/layer.ts";
import { buildJsComponent } from "./js/build.ts";
import { DEFAULT_ENGINE } from "./js/engines.ts";
import { createPythonLayer, pythonLayerDependencies } from "./python/layer.ts";
import { buildPythonComponent } from "./python/build.ts";
import { VialError } from "./errors.ts";

export interface LanguageSupport extends LanguageRuntime {
  defaultEngine: string;
  createLayer(store: Store, requirementsFile: string, progress: (msg: string) => void): Promise<Layer>;
  /** The exact packages a layer holds: what a manifest records. */
  dependencies(layerDir: string): Promise<ResolvedDependency[]>;
  build(request: BuildRequest): Promise<BuiltComponent>;
}

const LANGUAGES: Record<Language, LanguageSupport> = {
  js: { ...languageRuntime("js"), defaultEngine: DEFAULT_ENGINE, createLayer: createJsLayer, dependencies: layerDependencies, build: buildJsComponent },
  python: { ...languageRuntime("python"), defaultEngine: "cpython", createLayer: createPythonLayer, dependencies: pythonLayerDependencies, build: buildPythonComponent },
};

export function language(name: Language): LanguageSupport {
  return LANGUAGES[name];
}

export function inferLanguage(requirements: string): Language {
  const file = basename(requirements);
  if (file === "package.json") return "js";
  if (file.endsWith(".txt")) return "python";
  throw new VialError(`cannot tell the language from '${file}': use a package.json (JS) or a requirements .txt (Python), or pass --language`);
}

/** The engine an environment runs on: the one asked for, if the language has it. */
export function engineFor(name: Language, asked: string | undefined): string {
  const { engines, defaultEngine } = language(name);
  if (asked === undefined) return defaultEngine;
  if (!engines.includes(asked)) {
    throw new VialError(`${name} environments run on ${engines.join(", ")}: --engine ${asked} is not one of them`);
  }
  return asked;
}
