/**
 * The project as a user of another Node line gets it: its files (committed or
 * not, never node_modules or a store) copied into a fresh folder, and
 * `npm ci` run there on that line, native addons built or picked for it.
 */
import { execFile } from "node:child_process";
import { cp, mkdir, mkdtemp, readdir } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { releaseEnv, type NodeRelease } from "./node-release.ts";

const run = promisify(execFile);
export const REPO = fileURLToPath(new URL("../../", import.meta.url));

export interface ProjectCopy {
  dir: string;
  npmCiMs: number;
  /** isolated-vm packages npm installed for this Node (node_modules/isolated-vm*). */
  isolatedVm: string[];
  npmLog: string;
}

async function projectFiles(): Promise<string[]> {
  const { stdout } = await run("git", ["ls-files", "-z", "--cached", "--others", "--exclude-standard"], { cwd: REPO, maxBuffer: 64 * 2 ** 20 });
  return stdout.split("\0").filter(Boolean);
}

export async function copyProject(release: NodeRelease): Promise<ProjectCopy> {
  const dir = await mkdtemp(join(tmpdir(), `vial-node${release.version.split(".")[0]}-`));
  for (const file of await projectFiles()) {
    await mkdir(join(dir, dirname(file)), { recursive: true });
    await cp(join(REPO, file), join(dir, file), { force: true }).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== "ENOENT") throw error; // deleted in the work tree, not yet in the index
    });
  }
  const started = Date.now();
  const { stdout, stderr } = await run("npm", ["ci", "--no-audit", "--no-fund", "--foreground-scripts"], {
    cwd: dir,
    env: releaseEnv(release),
    maxBuffer: 256 * 2 ** 20,
    timeout: 900_000,
  });
  const npmCiMs = Date.now() - started;
  const isolatedVm = (await readdir(join(dir, "node_modules"))).filter((name) => /^isolated-vm(-\d+)?$/.test(name)).sort();
  return { dir, npmCiMs, isolatedVm, npmLog: `${stdout}\n${stderr}` };
}
