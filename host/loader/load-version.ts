/**
 * Loading a version for serving: everything that can be checked before the
 * first instance exists is checked here, so a bad version is refused whole
 * and whatever was serving keeps serving.
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import type { Store } from "../../builds/store.ts";
import type { Manifest } from "../../builds/manifest.ts";
import type { FunctionSchema } from "../../guest-sdk/js/schema.ts";
import { compileCoreModules, type CoreModules } from "../guest-instance.ts";
import { grantsFor } from "../grants.ts";
import { LoadError } from "../errors.ts";
import { digestProblems } from "./verify-digests.ts";
import { importsInBindings, ungrantedImports } from "./component-imports.ts";

export interface LoadedVersion {
  env: string;
  version: string;
  manifest: Manifest;
  bindingsFile: string;
  modules: CoreModules;
  allowlist: string[];
  functions: Map<string, FunctionSchema>;
}

export async function loadVersion(store: Store, env: string, version: string, memoryLimitBytes: number): Promise<LoadedVersion> {
  const refuse = (reason: string) => new LoadError(env, version, reason);
  let manifest: Manifest;
  try {
    manifest = await store.readManifest(env, version);
  } catch (error) {
    throw refuse((error as Error).message);
  }
  const versionDir = store.versionDir(env, version);

  const problems = await digestProblems(versionDir, manifest);
  if (problems.length) throw refuse(`${problems.join("; ")} (the version was modified after it was built: deploy it again)`);

  let allowlist: string[];
  try {
    allowlist = (await grantsFor(manifest.language)).allowlist;
  } catch (error) {
    throw refuse((error as Error).message);
  }
  const bindingsFile = join(versionDir, manifest.bindings.file);
  const declared = ungrantedImports(manifest.imports ?? [], allowlist);
  const actual = ungrantedImports(importsInBindings(await readFile(bindingsFile, "utf8")), allowlist);
  const ungranted = [...new Set([...declared, ...actual])].sort();
  if (ungranted.length) {
    const granted = allowlist.length ? allowlist.join(", ") : "nothing";
    throw refuse(`the component imports ${ungranted.map((i) => `'${i}'`).join(", ")}, but ${manifest.language} components are granted ${granted}: remove what uses ${ungranted.length > 1 ? "them" : "it"} and deploy again`);
  }

  let modules: CoreModules;
  try {
    modules = await compileCoreModules(versionDir, manifest, { memoryLimitBytes });
  } catch (error) {
    throw refuse(`its core modules do not compile: ${(error as Error).message}`);
  }
  return {
    env,
    version,
    manifest,
    bindingsFile,
    modules,
    allowlist,
    functions: new Map(manifest.functions.map((f) => [f.name, f])),
  };
}
