// Turns a Python module + its site-packages into a vial component:
//   1. link glue.c with libpython and any native packages' extension modules
//      (link.ts: once per interpreter build and set of extensions, cached),
//   2. wizer-snapshot it with the user module and dependencies imported,
//   3. embed the WIT world and wrap with the preview1 reactor adapter.
// Only steps 2-3 run per deploy.
import { VialError } from "../errors.ts";
import { existsSync } from "node:fs";
import { mkdtemp, mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { basename, dirname, extname, join, resolve } from "node:path";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import { componentEmbed, componentNew } from "@bytecodealliance/jco-transpile/wasm-tools";
import { run } from "../run-command.ts";
import { ensureInterpreter } from "./interpreter.js";
import type { ExtensionModule } from "./native-build.ts";
import { linkCore } from "./link.ts";

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(HERE, "..", "..");
const SDK_DIR = join(ROOT, "guest-sdk", "python");
const WIT = join(ROOT, "wit", "world.wit");
const require = createRequire(import.meta.url);


export interface ComponentizeOptions {
  modulePath: string;
  sitePackages: string;
  cacheDir: string;
  /** Extension modules of native packages, linked into the interpreter. */
  extensions?: ExtensionModule[];
  onProgress?: (msg: string) => void;
}

export async function componentizePython(opts: ComponentizeOptions): Promise<Uint8Array> {
  const progress = opts.onProgress ?? (() => {});
  const interp = await ensureInterpreter({ cacheDir: opts.cacheDir, onProgress: progress });
  const linked = await linkCore(interp, opts.cacheDir, progress, opts.extensions ?? []);

  const moduleName = basename(opts.modulePath, extname(opts.modulePath));
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(moduleName)) {
    throw new VialError(`module file name '${moduleName}' is not a valid Python module name`);
  }
  const work = await mkdtemp(join(tmpdir(), "vial-py-"));
  try {
    const boot = join(work, "boot");
    await mkdir(boot);
    await writeFile(
      join(boot, "_vial_boot.py"),
      `import vial._runtime\nvial._runtime.boot(${JSON.stringify(moduleName)}, ["/vial/site"])\n`,
    );
    const site = opts.sitePackages;
    await mkdir(site, { recursive: true });
    const snap = join(work, "snapshot.wasm");
    const t0 = Date.now();
    progress("snapshotting interpreter with the module imported (wizer)");
    await runWizer(moduleName, [
      "--allow-wasi", "--inherit-stdio", "true", "--wasm-bulk-memory", "true",
      "--mapdir", `/vial/boot::${boot}`,
      "--mapdir", `/vial/app::${dirname(resolve(opts.modulePath))}`,
      "--mapdir", `/vial/site::${resolve(site)}`,
      "--mapdir", `/vial/sdk::${SDK_DIR}`,
      "--mapdir", `/vial/lib/python3.11::${interp.stdlibDir}`,
      "-o", snap, linked,
    ], progress);
    progress(`snapshot done in ${Date.now() - t0} ms`);
    return await toComponent(await readFile(snap));
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/** Runs wizer; a failed import is reported as its Python traceback (or the one line the boot says), not wizer's trap dump. */
async function runWizer(moduleName: string, args: string[], progress: (m: string) => void): Promise<void> {
  const lines: string[] = [];
  try {
    await run(await wizerBinary(), args, { onLine: (l) => { lines.push(l); progress(`wizer: ${l}`); } });
  } catch (e) {
    const said = lines.find((l) => l.startsWith("vial-error: "));
    if (said) throw new VialError(said.slice("vial-error: ".length));
    const end = lines.findIndex((l) => l.startsWith("vial: "));
    const start = lines.findIndex((l) => l.startsWith("Traceback"));
    if (end < 0) throw e;
    const detail = start >= 0 && start < end ? lines.slice(start, end).join("\n") : lines[end];
    throw new VialError(`importing ${moduleName} failed while building the component:\n${detail}`);
  }
}

/** Core module -> component: embed the world, adapt preview1 to preview2. */
async function toComponent(core: Uint8Array): Promise<Uint8Array> {
  const witSource = await readFile(WIT, "utf8");
  const embedded = await componentEmbed({ binary: core, witSource, world: "environment" } as never);
  const adapterPath = join(packageDir("@bytecodealliance/jco"), "lib", "wasi_snapshot_preview1.reactor.wasm");
  const adapter = await readFile(adapterPath);
  return componentNew(embedded, [["wasi_snapshot_preview1", adapter]]);
}

/** The wizer executable for this platform, as @bytecodealliance/wizer resolves it. */
async function wizerBinary(): Promise<string> {
  const pkg = "@bytecodealliance/wizer"; // untyped package: a non-literal specifier keeps tsc quiet
  return (await import(pkg)).default as string;
}

/** A package's folder, found from its entry point (some packages hide package.json from `exports`). */
function packageDir(name: string): string {
  let dir = dirname(require.resolve(name));
  while (!existsSync(join(dir, "package.json")) && dirname(dir) !== dir) dir = dirname(dir);
  return dir;
}
