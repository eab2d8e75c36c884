/**
 * `vial env create`: an environment is a name, a language and a dependency
 * layer. Creating it again with changed requirements makes a new layer; the
 * next deploy builds against it.
 */
import { basename } from "node:path";
import { existsSync } from "node:fs";
import { Store, checkEnvironmentName, type EnvironmentDefinition, type Language } from "./store.ts";
import { createJsLayer } from "./js/layer.ts";
import { createPythonLayer } from "./python/layer.ts";
import { DEFAULT_ENGINE, engineNamed } from "./js/engines.ts";
import { VialError } from "./errors.ts";

export interface CreateEnvironmentOptions {
  name: string;
  requirements: string;
  language?: Language;
  engine?: string;
  store: Store;
  progress?: (msg: string) => void;
}

export function inferLanguage(requirements: string): Language {
  const file = basename(requirements);
  if (file === "package.json") return "js";
  if (file.endsWith(".txt")) return "python";
  throw new VialError(`cannot tell the language from '${file}': use a package.json (JS) or a requirements .txt (Python), or pass --language`);
}

export async function createEnvironment(opts: CreateEnvironmentOptions): Promise<EnvironmentDefinition & { reused: boolean }> {
  const progress = opts.progress ?? (() => {});
  checkEnvironmentName(opts.name);
  if (!existsSync(opts.requirements)) throw new VialError(`requirements file ${opts.requirements} does not exist`);
  const language = opts.language ?? inferLanguage(opts.requirements);
  const existing = existsSync(opts.store.envDir(opts.name)) ? await opts.store.readEnvironment(opts.name).catch(() => undefined) : undefined;
  if (existing && existing.language !== language) {
    throw new VialError(`environment '${opts.name}' already exists as a ${existing.language} environment: choose another name`);
  }
  if (language === "python" && opts.engine) throw new VialError("--engine chooses a JS engine: Python environments run CPython");
  const engine = language === "js" ? engineNamed(opts.engine ?? existing?.engine ?? DEFAULT_ENGINE).name : undefined;
  const layer = language === "js" ? await createJsLayer(opts.store, opts.requirements, progress) : await createPythonLayer(opts.store, opts.requirements, progress);
  const def: EnvironmentDefinition = {
    name: opts.name,
    language,
    engine,
    layer: layer.digest,
    requirements: opts.requirements,
    createdAt: existing?.createdAt ?? new Date().toISOString(),
  };
  await opts.store.writeEnvironment(def);
  return { ...def, reused: layer.reused };
}
