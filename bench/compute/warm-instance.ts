/** The current version of an environment, compiled once and its component instantiated `count` times, each one timed. */
import { Store } from "../../builds/store.ts";
import { readVersion } from "../../runtime/version/read-version.ts";
import { compileCore, instantiateComponent, type ComponentGuest } from "../../runtime/component/instantiate.ts";
import { newHistogram, recordMs } from "../histogram.ts";

export async function currentVersion(storeDir: string, env: string) {
  const store = new Store(storeDir);
  const version = (await store.current(env))!.version;
  return readVersion(store.versionDir(env, version), env, version);
}

export async function timedInstances(storeDir: string, env: string, count: number) {
  const version = await currentVersion(storeDir, env);
  let t = performance.now();
  const modules = await compileCore(version.core);
  const compileMs = performance.now() - t;
  const instantiate = newHistogram();
  let guest: ComponentGuest | undefined;
  for (let i = 0; i < count; i++) {
    t = performance.now();
    guest = await instantiateComponent({ language: version.manifest.language, bindings: version.bindings, modules });
    await guest.reseed(new Uint8Array(32));
    recordMs(instantiate, performance.now() - t);
  }
  return { guest: guest!, compileMs, instantiate, version };
}
