/** The current version of an environment, compiled once and instantiated `count` times, each one timed. */
import { join } from "node:path";
import { Store } from "../../builds/store.ts";
import { compileCoreModules, instantiateGuest, type GuestInstance } from "../../host/guest-instance.ts";
import { grantsFor } from "../../host/grants.ts";
import { newHistogram, recordMs } from "../histogram.ts";

export async function timedInstances(storeDir: string, env: string, count: number) {
  const store = new Store(storeDir);
  const version = (await store.current(env))!.version;
  const manifest = await store.readManifest(env, version);
  const dir = store.versionDir(env, version);
  const grants = await grantsFor(manifest.language);

  let t = performance.now();
  const modules = await compileCoreModules(dir, manifest);
  const compileMs = performance.now() - t;
  const instantiate = newHistogram();
  let guest: GuestInstance | undefined;
  for (let i = 0; i < count; i++) {
    t = performance.now();
    guest = await instantiateGuest(join(dir, manifest.bindings.file), modules, await grants.createImports());
    guest.reseed(new Uint8Array(32));
    recordMs(instantiate, performance.now() - t);
  }
  return { guest: guest!, compileMs, instantiate };
}
