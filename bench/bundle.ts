/**
 * The exact JS a version's component embeds and its V8 engine runs (the
 * version's bundle.mjs), as the bench's baselines need it: the module text
 * for an isolate pool, and a classic script defining `vialEnv` = { describe,
 * reseed, call } for a plain V8 `vm` context.
 */
import { transform } from "esbuild";
import { Store } from "../builds/store.ts";
import { readVersion } from "../runtime/version/read-version.ts";

export async function versionBundle(storeDir: string, env: string): Promise<string> {
  const store = new Store(storeDir);
  const version = (await store.current(env))!.version;
  const { bundle } = await readVersion(store.versionDir(env, version), env, version);
  if (bundle === undefined) throw new Error(`${env}@${version} has no bundle: rebuild the bench store`);
  return bundle;
}

export async function scriptBundle(storeDir: string, env: string): Promise<string> {
  const { code } = await transform(await versionBundle(storeDir, env), { format: "iife", globalName: "vialEnv", target: "es2022" });
  return code;
}
