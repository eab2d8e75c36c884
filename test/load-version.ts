/** Loads an environment's current version the way the host does: compiled core modules, bindings, the language's grants. */
import { join } from "node:path";
import type { Store } from "../builds/store.ts";
import { compileCoreModules, instantiateGuest, type GuestInstance } from "../host/guest-instance.ts";
import type { Manifest } from "../builds/manifest.ts";
import { grantsFor } from "../host/grants.ts";

export async function loadCurrent(store: Store, env: string): Promise<{ manifest: Manifest; instance: GuestInstance; dir: string }> {
  const pointer = await store.current(env);
  if (!pointer) throw new Error(`${env} has no current version`);
  const manifest = await store.readManifest(env, pointer.version);
  const dir = store.versionDir(env, pointer.version);
  const grants = await grantsFor(manifest.language);
  const instance = await instantiateGuest(join(dir, manifest.bindings.file), await compileCoreModules(dir, manifest), await grants.createImports());
  instance.reseed(crypto.getRandomValues(new Uint8Array(32)));
  return { manifest, instance, dir };
}

/** Calls a function with rows and parses the output envelope. */
export function callRows(instance: GuestInstance, fn: string, rows: unknown[]) {
  return JSON.parse(instance.call(fn, JSON.stringify(rows))) as {
    rows: Array<Record<string, unknown> | null>;
    errors: Array<{ row: number; error: string }>;
    logs?: string[];
  };
}
