/**
 * The executor's code as plain JS files: an executor runs under Node's
 * permission model, which lets it read its own code and nothing else, and
 * spawn nothing (so no TypeScript loader). Bundled once per host process
 * into a content-addressed folder; isolated-vm stays a native addon loaded
 * from where npm installed it (the folders are compiled into the bundle).
 */
import { build, type Plugin } from "esbuild";
import { chmod, mkdir, mkdtemp, rename, rm, writeFile } from "node:fs/promises";
import { existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { sha256 } from "../../runtime/digest.ts";
import { isolatedVmFolders, isolatedVmReadable } from "../../runtime/v8/isolated-vm.ts";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));

export interface ExecutorCode {
  /** The executor process's entry. */
  entry: string;
  /** A component instance's thread entry. */
  componentWorker: string;
  /** isolated-vm's installed folders (its native addon), in the order they are tried. */
  isolatedVm: string[];
  /** Everything an executor may read: the folders above (and what loading isolated-vm reads). */
  readable: string[];
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

/** Where bundles live: beside the installed packages when writable (a read-only image: the temp folder). */
async function cacheRoot(): Promise<string> {
  for (const dir of [join(ROOT, "node_modules", ".cache", "vial"), join(tmpdir(), "vial-cache")]) {
    try {
      await mkdir(dir, { recursive: true, mode: 0o755 });
      return dir;
    } catch {
      // try the next one
    }
  }
  throw new Error("no writable folder for the executor's code (node_modules/.cache or the temp folder)");
}

async function bundleExecutor(): Promise<ExecutorCode> {
  const isolatedVm = isolatedVmFolders();
  const result = await build({
    entryPoints: { executor: join(ROOT, "executor", "main.ts"), "component-worker": join(ROOT, "runtime", "component", "worker.ts") },
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
    define: { VIAL_ISOLATED_VM_FOLDERS: JSON.stringify(isolatedVm) },
    // CommonJS dependencies inside an ES module bundle still call require.
    banner: { js: `import { createRequire as __vialRequire } from "node:module"; const require = __vialRequire(import.meta.url);` },
  });
  const files = result.outputFiles.map((f) => ({ name: f.path.slice(f.path.lastIndexOf("/") + 1), text: f.text }));
  const digest = sha256(files.map((f) => `${f.name}\n${f.text}`).join("\n")).slice(0, 16);
  const dir = join(await cacheRoot(), `executor-${digest}`);
  if (!existsSync(dir)) {
    // Written aside, then renamed: hosts starting together never see a half-written folder.
    const staged = await mkdtemp(`${dir}.tmp-`);
    await chmod(staged, 0o755); // executors may run as another user
    for (const f of files) await writeFile(join(staged, f.name), f.text, { mode: 0o644 });
    await rename(staged, dir).catch(() => rm(staged, { recursive: true, force: true }));
  }
  return {
    entry: join(dir, "executor.mjs"),
    componentWorker: join(dir, "component-worker.mjs"),
    isolatedVm,
    readable: [dir, ...isolatedVmReadable(isolatedVm)],
  };
}

let bundled: Promise<ExecutorCode> | undefined;

export function executorCode(): Promise<ExecutorCode> {
  bundled ??= bundleExecutor();
  return bundled;
}
