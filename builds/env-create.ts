/**
 * `vial env create`: an environment is a name, a language, an engine and a
 * dependency layer. Creating it again with changed requirements makes a new
 * layer; the next deploy builds against it.
 */
import { existsSync } from "node:fs";
import { Store, type EnvironmentDefinition, type Language } from "./store.ts";
import { checkEnvironmentName } from "./names.ts";
import { engineFor, inferLanguage, language as languageSupport } from "./languages.ts";
import { VialError } from "./errors.ts";

export { inferLanguage };

export interface CreateEnvironmentOptions {
  name: string;
  requirements: string;
  language?: Language;
  engine?: string;
  store: Store;
  progress?: (msg: string) => void;
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
  const engine = engineFor(language, opts.engine ?? existing?.engine);
  const layer = await languageSupport(language).createLayer(opts.store, opts.requirements, progress);
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
