/**
 * A version built exactly as `vial deploy` builds it (type-check, bundle,
 * componentize, the import check, its functions read back, V8 tried), but
 * published into a store of its own in a temporary folder, next to a link
 * to the environment's layer: the real store is not touched.
 */
import { mkdtemp, rm, symlink, mkdir } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { Store } from "./store.ts";
import { deploy, type DeployResult } from "./deploy.ts";

export interface Trial extends DeployResult {
  /** The temporary store holding the version (and nothing else but the link to the layer). */
  store: Store;
  remove(): Promise<void>;
}

export async function trialBuild(opts: { store: Store; env: string; modulePath: string; progress?: (msg: string) => void }): Promise<Trial> {
  const def = await opts.store.readEnvironment(opts.env);
  const store = new Store(await mkdtemp(join(tmpdir(), "vial-trial-")));
  const remove = () => rm(store.root, { recursive: true, force: true });
  try {
    const layer = store.layerDir(def.language, def.layer);
    await mkdir(dirname(layer), { recursive: true });
    await symlink(opts.store.layerDir(def.language, def.layer), layer, "dir");
    await store.writeEnvironment(def);
    const built = await deploy({ store, env: opts.env, modulePath: opts.modulePath, progress: opts.progress });
    return { ...built, store, remove };
  } catch (error) {
    await remove();
    throw error;
  }
}
