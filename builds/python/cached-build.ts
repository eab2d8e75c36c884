/**
 * Builds kept in the cache folder, each under `<prefix><key>`: made once across
 * processes (a lock folder per prefix holding the owner's pid), into a
 * temporary folder renamed into place; entries of the same prefix with another
 * key are removed afterwards, being builds from older inputs.
 */
import { existsSync } from "node:fs";
import { mkdir, readdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";

export interface CachedBuild {
  cacheDir: string;
  prefix: string;
  /** 16 hex digits: a digest of everything the build depends on. */
  key: string;
  /** A file the finished build has: its absence means "not built". */
  marker: string;
  /** Says what is being built, e.g. "numpy 1.24.2". */
  what: string;
  onProgress?: (msg: string) => void;
  /** Builds into the given (empty) folder. */
  build(into: string): Promise<void>;
  /** Entries of the cache this build leaves useless; by default the prefix's other keys. */
  stale?: (name: string) => boolean;
}

/** The build's folder, built first if the cache does not have it. */
export async function cachedBuild(b: CachedBuild): Promise<string> {
  const dir = join(b.cacheDir, b.prefix + b.key);
  if (existsSync(join(dir, b.marker))) return dir;
  await mkdir(b.cacheDir, { recursive: true });
  const release = await lock(join(b.cacheDir, `${b.prefix}lock`), b.onProgress);
  try {
    if (existsSync(join(dir, b.marker))) return dir;
    const tmp = `${dir}.tmp-${process.pid}`;
    await rm(tmp, { recursive: true, force: true });
    const t0 = Date.now();
    try {
      await b.build(tmp);
    } catch (error) {
      await rm(tmp, { recursive: true, force: true });
      throw error;
    }
    await rename(tmp, dir);
    b.onProgress?.(`${b.what} built in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
  } finally {
    await release();
  }
  const stale = b.stale ?? ((name: string) => name.startsWith(b.prefix) && /^[0-9a-f]{16}$/.test(name.slice(b.prefix.length)));
  for (const name of await readdir(b.cacheDir)) {
    if (name !== b.prefix + b.key && stale(name)) await rm(join(b.cacheDir, name), { recursive: true, force: true });
  }
  return dir;
}

/** Takes the lock, waiting for a live owner; a dead owner's lock is taken over. */
async function lock(path: string, onProgress?: (msg: string) => void): Promise<() => Promise<void>> {
  for (let waited = false; ; waited = true) {
    try {
      await mkdir(path);
      await writeFile(join(path, "pid"), String(process.pid));
      return () => rm(path, { recursive: true, force: true });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
    }
    const owner = Number(await readFile(join(path, "pid"), "utf8").catch(() => "0"));
    if (owner && !alive(owner)) {
      await rm(path, { recursive: true, force: true });
      continue;
    }
    if (!waited) onProgress?.(`waiting for another process building the same (${path})`);
    await new Promise((r) => setTimeout(r, 2000));
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
