/** Loads an environment's current version in this process the way vial runs it: verified, guarded, capped, reseeded. */
import type { Store } from "../builds/store.ts";
import type { Manifest } from "../runtime/manifest.ts";
import { readVersion } from "../runtime/version/read-version.ts";
import { instantiateVersion, type EngineKind, type RunningGuest } from "../runtime/instantiate.ts";

export async function loadCurrent(store: Store, env: string, engine: EngineKind = "component"): Promise<{ manifest: Manifest; instance: RunningGuest; dir: string }> {
  const pointer = await store.current(env);
  if (!pointer) throw new Error(`${env} has no current version`);
  const dir = store.versionDir(env, pointer.version);
  const version = await readVersion(dir, env, pointer.version);
  const instance = await instantiateVersion({ ...version, language: version.manifest.language }, { engine });
  return { manifest: version.manifest, instance, dir };
}

export interface Envelope {
  rows: Array<Record<string, unknown> | null>;
  errors: Array<{ row: number; error: string }>;
  logs?: string[];
}

/** Calls a function with rows and parses the output envelope. */
export async function callRows(instance: RunningGuest, fn: string, rows: unknown[]): Promise<Envelope> {
  return JSON.parse(await instance.call(fn, JSON.stringify(rows))) as Envelope;
}
