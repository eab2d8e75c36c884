/** One build at a time per cache entry, across processes: a lock folder holding the owner's pid. */
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";

/** Takes the lock, waiting for a live owner; a dead owner's lock is taken over. */
export async function lock(path: string, onProgress?: (msg: string) => void): Promise<() => Promise<void>> {
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
    if (!waited) onProgress?.(`waiting for another build to finish (${path})`);
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
