/**
 * Notices deploys and rollbacks: file-system events on the store's
 * environment folders for speed, and a periodic re-read for the events a
 * file system does not deliver (network mounts, renames across folders).
 */
import { watch, existsSync, type FSWatcher } from "node:fs";
import { join } from "node:path";
import type { Store } from "../builds/store.ts";

export interface StoreWatcher {
  close(): void;
}

/** Calls `onChange(env)` (debounced) when an environment's current.json may have changed, and `onChange()` on every poll. */
export function watchStore(store: Store, pollMs: number, onChange: (env?: string) => void): StoreWatcher {
  const watchers = new Map<string, FSWatcher>();
  const timers = new Map<string, NodeJS.Timeout>();
  const debounced = (env: string) => {
    clearTimeout(timers.get(env));
    timers.set(env, setTimeout(() => onChange(env), 50).unref());
  };
  const watchEnv = (env: string) => {
    if (watchers.has(env)) return;
    try {
      const watcher = watch(store.envDir(env), (_event, file) => {
        if (file === null || String(file) === "current.json") debounced(env);
      });
      watcher.on("error", () => watchers.delete(env));
      watcher.unref();
      watchers.set(env, watcher);
    } catch {
      // The poll below still covers this environment.
    }
  };
  const envsDir = join(store.root, "envs");
  const scan = async () => {
    for (const env of await store.environments().catch(() => [])) watchEnv(env);
  };
  let rootWatcher: FSWatcher | undefined;
  if (existsSync(envsDir)) {
    try {
      rootWatcher = watch(envsDir, () => void scan());
      rootWatcher.unref();
    } catch {
      rootWatcher = undefined;
    }
  }
  void scan();
  const poll = setInterval(() => {
    void scan();
    onChange();
  }, pollMs);
  poll.unref();
  return {
    close() {
      clearInterval(poll);
      rootWatcher?.close();
      for (const w of watchers.values()) w.close();
      for (const t of timers.values()) clearTimeout(t);
    },
  };
}
