/**
 * The artifact store: environments, their immutable versions, and which one is
 * current. Every write is staged in a temporary folder and renamed into place,
 * so a crash never leaves a visible half-written version.
 *
 *   <store>/layers/<language>/<digest>/          installed dependencies
 *   <store>/envs/<env>/env.json                 environment definition
 *   <store>/envs/<env>/versions/<version>/      manifest.json, component.wasm, bindings.js, core/*.wasm
 *   <store>/envs/<env>/current.json             { version, history, shadow? }
 */
import { mkdir, readFile, readdir, rename, rm, writeFile, mkdtemp } from "node:fs/promises";
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import type { Manifest } from "../runtime/manifest.ts";
import { VialError } from "./errors.ts";
import { checkEnvironmentName, isEnvironmentName } from "./names.ts";

import type { Language } from "../runtime/manifest.ts";

export type { Language };

export interface EnvironmentDefinition {
  name: string;
  language: Language;
  /** JS engine inside the component (JS environments only). */
  engine?: string;
  /** Digest of the dependency layer under layers/<language>/. */
  layer: string;
  requirements: string;
  createdAt: string;
}

export interface CurrentPointer {
  version: string;
  /** Earlier current versions, newest last: what rollback returns to. */
  history: string[];
  /** A version the host runs beside the current one on a copy of its requests, to compare their answers. */
  shadow?: ShadowPointer;
}

export interface ShadowPointer {
  version: string;
  /** The share of requests mirrored to it, in (0, 1]. */
  fraction: number;
  since: string;
}

export function defaultStorePath(): string {
  return resolve(process.env.VIAL_STORE ?? ".vial");
}

export class Store {
  readonly root: string;
  constructor(root: string = defaultStorePath()) {
    this.root = resolve(root);
  }

  layerDir(language: Language, digest: string): string {
    return join(this.root, "layers", language, digest);
  }
  /** Every path of an environment is made here: a name that is not one (`..`, `a/b`) never becomes a path. */
  envDir(env: string): string {
    checkEnvironmentName(env);
    return join(this.root, "envs", env);
  }
  versionDir(env: string, version: string): string {
    return join(this.envDir(env), "versions", version);
  }

  /** A fresh folder inside the store (same filesystem, so a rename publishes it). */
  async staging(): Promise<string> {
    const dir = join(this.root, "tmp");
    await mkdir(dir, { recursive: true });
    return mkdtemp(join(dir, "stage-"));
  }

  /** Moves a staged folder to `target` unless it already exists (content-addressed: same bytes). */
  async publishFolder(staged: string, target: string): Promise<void> {
    await mkdir(join(target, ".."), { recursive: true });
    if (existsSync(target)) {
      await rm(staged, { recursive: true, force: true });
      return;
    }
    await rename(staged, target);
  }

  async environments(): Promise<string[]> {
    const dir = join(this.root, "envs");
    if (!existsSync(dir)) return [];
    return (await readdir(dir)).filter(isEnvironmentName).sort();
  }

  async readEnvironment(env: string): Promise<EnvironmentDefinition> {
    const file = join(this.envDir(env), "env.json");
    if (!existsSync(file)) throw new VialError(`no environment '${env}' in ${this.root}: create it with 'vial env create --name ${env} --requirements <file>'`);
    return JSON.parse(await readFile(file, "utf8"));
  }

  async writeEnvironment(def: EnvironmentDefinition): Promise<void> {
    await writeAtomically(join(this.envDir(def.name), "env.json"), JSON.stringify(def, null, 2));
  }

  async current(env: string): Promise<CurrentPointer | undefined> {
    const file = join(this.envDir(env), "current.json");
    if (!existsSync(file)) return undefined;
    return JSON.parse(await readFile(file, "utf8"));
  }

  /** Makes `version` current; a shadow stays unless it is that version (then it has been promoted). */
  async setCurrent(env: string, version: string): Promise<CurrentPointer> {
    const previous = await this.current(env);
    const history = previous && previous.version !== version ? [...previous.history, previous.version] : (previous?.history ?? []);
    const shadow = previous?.shadow && previous.shadow.version !== version ? { shadow: previous.shadow } : {};
    const pointer = { version, history, ...shadow };
    await this.writePointer(env, pointer);
    return pointer;
  }

  /** Marks `version` as the environment's shadow, mirrored `fraction` of its requests. */
  async setShadow(env: string, version: string, fraction: number): Promise<CurrentPointer> {
    const pointer = await this.current(env);
    if (!pointer) throw new VialError(`environment '${env}' has no current version to compare a shadow with: deploy one without --shadow first`);
    const next = { ...pointer, shadow: { version, fraction, since: new Date().toISOString() } };
    await this.writePointer(env, next);
    return next;
  }

  /** Stops shadowing; returns the version that was the shadow. */
  async stopShadow(env: string): Promise<string> {
    const pointer = await this.current(env);
    if (!pointer?.shadow) throw new VialError(`environment '${env}' has no shadow version`);
    const { shadow, ...rest } = pointer;
    await this.writePointer(env, rest);
    return shadow.version;
  }

  /** Makes the shadow version current (the previous current goes to the history, for rollback). */
  async promote(env: string): Promise<CurrentPointer> {
    const shadow = (await this.current(env))?.shadow;
    if (!shadow) throw new VialError(`environment '${env}' has no shadow version to promote: deploy one with 'vial deploy <module> --env ${env} --shadow'`);
    return this.setCurrent(env, shadow.version);
  }

  private writePointer(env: string, pointer: CurrentPointer): Promise<void> {
    return writeAtomically(join(this.envDir(env), "current.json"), JSON.stringify(pointer, null, 2));
  }

  /** Makes the previous (or the named) version current again. */
  async rollback(env: string, to?: string): Promise<CurrentPointer> {
    const pointer = await this.current(env);
    if (!pointer) throw new VialError(`environment '${env}' has no deployed version to roll back from`);
    const target = to ?? pointer.history.at(-1);
    if (!target) throw new VialError(`environment '${env}' has no earlier version to roll back to`);
    if (!existsSync(join(this.versionDir(env, target), "manifest.json"))) {
      throw new VialError(`environment '${env}' has no version '${target}' (see 'vial env versions ${env}')`);
    }
    const history = pointer.history.filter((v) => v !== target);
    const shadow = pointer.shadow && pointer.shadow.version !== target ? { shadow: pointer.shadow } : {};
    const next = { version: target, history: to ? [...history, pointer.version] : history, ...shadow };
    await this.writePointer(env, next);
    return next;
  }

  async versions(env: string): Promise<string[]> {
    const dir = join(this.envDir(env), "versions");
    return existsSync(dir) ? (await readdir(dir)).sort() : [];
  }

  async readManifest(env: string, version: string): Promise<Manifest> {
    const file = join(this.versionDir(env, version), "manifest.json");
    if (!existsSync(file)) throw new VialError(`environment '${env}' has no version '${version}'`);
    return JSON.parse(await readFile(file, "utf8"));
  }
}

/** Write-then-rename: readers see the old file or the new one, never a torn one. */
export async function writeAtomically(file: string, content: string | Uint8Array): Promise<void> {
  await mkdir(join(file, ".."), { recursive: true });
  const tmp = `${file}.${process.pid}.${Date.now()}.tmp`;
  await writeFile(tmp, content);
  await rename(tmp, file);
}
