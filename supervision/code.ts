/**
 * The executor's code as plain JS files: an executor runs under Node's
 * permission model, which lets it read its own code and nothing else, and
 * spawn nothing (so no TypeScript loader). Bundled once per host process
 * into a content-addressed folder of a cache that only the host's user may
 * write (and only it and the executors' user read), and checked against
 * the bundle in memory before every executor starts from it: code planted
 * in the cache, or changed there after it was written, is replaced, never
 * run. isolated-vm and koffi stay native addons loaded from where npm
 * installed them (the folders are compiled into the bundle).
 */
import { build, type Plugin } from "esbuild";
import { chmod, chown, lstat, mkdir, readFile, rename, rm, writeFile, mkdtemp } from "node:fs/promises";
import { randomBytes } from "node:crypto";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { sha256 } from "../runtime/digest.ts";
import { isolatedVmFolders, isolatedVmReadable } from "../runtime/v8/isolated-vm.ts";
import { koffiFolder } from "../executor/confinement/native.ts";
import { NOBODY } from "./launch.ts";

const ROOT = fileURLToPath(new URL("../", import.meta.url));
const UID = process.getuid?.() ?? -1;
/**
 * A host running as root starts its executors as `nobody` (sandbox.ts): they
 * read their code as its group. Otherwise they run as the host's own user.
 */
const ACCESS = UID === 0 ? { folder: 0o750, file: 0o440, group: NOBODY } : { folder: 0o700, file: 0o400, group: undefined };

export interface ExecutorCode {
  /** The folder holding the files below. */
  dir: string;
  /** The executor process's entry. */
  entry: string;
  /** A component instance's thread entry. */
  componentWorker: string;
  /** What applies the confinement layers and then runs the entry (executor/confinement/launcher.ts). */
  launcher: string;
  /** isolated-vm's installed folders (its native addon), in the order they are tried. */
  isolatedVm: string[];
  /** Everything an executor may read: the folders above (and what loading isolated-vm reads), and koffi's. */
  readable: string[];
  /** Checks the folder and its files against the bundle, writing what is missing or differs; resolves with the files that differed. */
  verify(): Promise<string[]>;
  /** Why the cache is not where it is usually kept, if it is not. */
  warnings: string[];
}

interface BundleFile {
  name: string;
  text: string;
  sha256: string;
}

/** Native addons are not bundled. */
function nativeAddons(): Plugin {
  return {
    name: "native-addons",
    setup(b) {
      // cbor-x runs without its optional native decoder.
      b.onResolve({ filter: /^cbor-extract$/ }, () => ({ path: "cbor-extract", external: true }));
    },
  };
}

/**
 * Makes `dir` a folder of this user's that no one else may write. One that is
 * a link or another user's is refused, unless it lies in a folder of ours
 * (then it is replaced); one that anyone else could have written into is
 * emptied.
 */
async function privateFolder(dir: string, inOurs: boolean): Promise<void> {
  await mkdir(dir, { mode: 0o700 }).catch((error: NodeJS.ErrnoException) => {
    if (error.code !== "EEXIST") throw error;
  });
  const info = await lstat(dir);
  const foreign = info.isSymbolicLink() || !info.isDirectory() || info.uid !== UID;
  if (foreign && !inOurs) throw new Error(`${dir} is ${info.isSymbolicLink() ? "a link" : !info.isDirectory() ? "not a folder" : `uid ${info.uid}'s`}, not a folder of this host's user`);
  if (foreign || (info.mode & 0o022) !== 0) {
    await rm(dir, { recursive: true, force: true });
    return privateFolder(dir, inOurs);
  }
  if (ACCESS.group !== undefined && info.gid !== ACCESS.group) await chown(dir, UID, ACCESS.group);
  if ((info.mode & 0o777) !== ACCESS.folder) await chmod(dir, ACCESS.folder);
}

/** The cache: a folder of the host's user in the temp folder, or, when someone else holds that name, one of this process's own. */
async function cacheRoot(warnings: string[]): Promise<string> {
  const dir = join(tmpdir(), `vial-${UID}`);
  try {
    await privateFolder(dir, false);
    return dir;
  } catch (error) {
    const fresh = await mkdtemp(join(tmpdir(), `vial-${UID}-`));
    await privateFolder(fresh, false);
    warnings.push(`the executor's code is kept in ${fresh}, a folder of this process's own: ${(error as Error).message}`);
    return fresh;
  }
}

/** Writes `file` beside its place, then renames it there: no reader ever sees half of it. */
async function put(dir: string, file: BundleFile): Promise<void> {
  const staged = join(dir, `.${file.name}.${randomBytes(6).toString("hex")}`);
  await writeFile(staged, file.text, { mode: ACCESS.file, flag: "wx" });
  if (ACCESS.group !== undefined) await chown(staged, UID, ACCESS.group);
  await chmod(staged, ACCESS.file);
  await rename(staged, join(dir, file.name));
}

/** Whether the file at `path` is missing, or this user's, written by no one else, and holding `file`'s bytes. */
async function check(path: string, file: BundleFile): Promise<"missing" | "intact" | "changed"> {
  const info = await lstat(path).catch(() => undefined);
  if (!info) return "missing";
  if (!info.isFile() || info.uid !== UID || (info.mode & 0o777) !== ACCESS.file) return "changed";
  return sha256(await readFile(path)) === file.sha256 ? "intact" : "changed";
}

async function bundle(): Promise<BundleFile[]> {
  const result = await build({
    entryPoints: {
      executor: join(ROOT, "executor", "main.ts"),
      "component-worker": join(ROOT, "runtime", "component", "worker.ts"),
      launcher: join(ROOT, "executor", "confinement", "launcher.ts"),
    },
    bundle: true,
    write: false,
    format: "esm",
    platform: "node",
    target: "node20",
    outdir: "out",
    outExtension: { ".js": ".mjs" },
    logLevel: "silent",
    plugins: [nativeAddons()],
    // The loader tries these by absolute path: the bundle does not live where node_modules can be found from it.
    define: { VIAL_ISOLATED_VM_FOLDERS: JSON.stringify(isolatedVmFolders()), VIAL_KOFFI_FOLDER: JSON.stringify(koffiFolder()) },
    // CommonJS dependencies inside an ES module bundle still call require.
    banner: { js: `import { createRequire as __vialRequire } from "node:module"; const require = __vialRequire(import.meta.url);` },
  });
  return result.outputFiles.map((f) => ({ name: f.path.slice(f.path.lastIndexOf("/") + 1), text: f.text, sha256: sha256(f.text) }));
}

async function bundleExecutor(): Promise<ExecutorCode> {
  const isolatedVm = isolatedVmFolders();
  const files = await bundle();
  const digest = sha256(files.map((f) => `${f.name}\n${f.sha256}`).join("\n")).slice(0, 16);
  const warnings: string[] = [];
  const root = await cacheRoot(warnings);
  const dir = join(root, `executor-${digest}`);
  const verify = async (): Promise<string[]> => {
    await privateFolder(root, false);
    await privateFolder(dir, true);
    const changed: string[] = [];
    for (const file of files) {
      const state = await check(join(dir, file.name), file);
      if (state === "intact") continue;
      if (state === "changed") {
        changed.push(file.name);
        await rm(join(dir, file.name), { recursive: true, force: true }); // a folder or link in its place included
      }
      await put(dir, file);
    }
    return changed;
  };
  const found = await verify();
  if (found.length > 0) warnings.push(`the executor's code in ${dir} did not match this host's bundle (${found.join(", ")}): written again`);
  return {
    dir,
    entry: join(dir, "executor.mjs"),
    componentWorker: join(dir, "component-worker.mjs"),
    launcher: join(dir, "launcher.mjs"),
    isolatedVm,
    readable: [dir, ...isolatedVmReadable(isolatedVm), koffiFolder()],
    verify,
    warnings,
  };
}

let bundled: Promise<ExecutorCode> | undefined;

export function executorCode(): Promise<ExecutorCode> {
  bundled ??= bundleExecutor();
  return bundled;
}
