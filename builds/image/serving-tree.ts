/**
 * What a serving image holds of vial: its sources, and of `node_modules`
 * only the packages serving reaches (the host, `vial run` and `merge` for
 * offline Jobs, the executor and its component threads), with everything
 * they depend on. The build toolchains (TypeScript, componentize-js, jco,
 * binaryen, wizer) are half a gigabyte and load only in the commands that
 * build (cli/main.ts imports those when they run). The packages are found
 * by following imports with esbuild from the entries that serve, then
 * closed over their installed dependencies (native binaries and files
 * loaded by path come with their packages); of isolated-vm's lines only the
 * one that loads on this Node is kept, and of koffi's binaries only this
 * machine's.
 *
 *   tsx builds/image/serving-tree.ts <out>   copies the tree into <out>
 */
import { build, type Plugin } from "esbuild";
import { existsSync, readFileSync } from "node:fs";
import { cp, mkdir } from "node:fs/promises";
import { dirname, join, relative, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { loadingIsolatedVmFolder } from "../../runtime/v8/isolated-vm.ts";
import { koffiFolder } from "../../executor/confinement/native.ts";

const ROOT = resolve(fileURLToPath(new URL("../../", import.meta.url)));

/** Where serving starts: the CLI (its serving commands), the executor's entry and launcher, a component thread's entry. */
const ENTRIES = ["bin/vial.js", "cli/main.ts", "executor/main.ts", "executor/confinement/launcher.ts", "runtime/component/worker.ts"];
/** The sources an image runs from (TypeScript through tsx, as in a checkout). */
export const SOURCES = ["bin", "cli", "host", "executor", "offline", "runtime", "supervision", "builds", "guest-sdk", "wit", "package.json", "tsconfig.json"];

/** The commands that build are imported by cli/main.ts only when they run: not followed. */
function buildCommandsLeftOut(): Plugin {
  const main = join(ROOT, "cli", "main.ts");
  return {
    name: "build-commands-left-out",
    setup(b) {
      b.onResolve({ filter: /.*/ }, (args) => (args.kind === "dynamic-import" && args.importer === main ? { path: args.path, external: true } : undefined));
    },
  };
}

/** The package folder a file lies in: the part up to the last `node_modules/<name>` (or `@scope/name`). */
function packageFolder(file: string): string | undefined {
  const match = /^(.*node_modules\/(?:@[^/]+\/)?[^/]+)/.exec(file);
  return match?.[1];
}

async function importedPackages(): Promise<Set<string>> {
  const result = await build({
    entryPoints: ENTRIES.map((entry) => join(ROOT, entry)),
    absWorkingDir: ROOT,
    bundle: true,
    write: false,
    metafile: true,
    platform: "node",
    format: "esm",
    outdir: "out",
    logLevel: "silent",
    loader: { ".node": "empty" },
    // The executor's bundle names isolated-vm's folders at runtime; they are chosen below.
    external: ["isolated-vm", "isolated-vm-6", "isolated-vm-7"],
    plugins: [buildCommandsLeftOut()],
  });
  const folders = new Set<string>();
  for (const file of Object.keys(result.metafile.inputs)) {
    const folder = packageFolder(file);
    if (folder) folders.add(join(ROOT, folder));
  }
  return folders;
}

/** Where Node finds `name` from inside `folder`: its own node_modules, then each parent's. */
function resolvePackage(name: string, folder: string): string | undefined {
  for (let dir = folder; dir === ROOT || dir.startsWith(ROOT + sep); dir = dirname(dir)) {
    const candidate = join(dir, "node_modules", name);
    if (existsSync(join(candidate, "package.json"))) return candidate;
  }
  return undefined;
}

/** The folders with every installed dependency (optional ones included where npm installed them). */
function withDependencies(roots: Iterable<string>): Set<string> {
  const kept = new Set<string>();
  const pending = [...roots];
  while (pending.length > 0) {
    const folder = pending.pop()!;
    if (kept.has(folder)) continue;
    kept.add(folder);
    const manifest = JSON.parse(readFileSync(join(folder, "package.json"), "utf8")) as Record<string, Record<string, string> | undefined>;
    for (const name of Object.keys({ ...manifest.dependencies, ...manifest.optionalDependencies, ...manifest.peerDependencies })) {
      const dependency = resolvePackage(name, folder);
      if (dependency) pending.push(dependency);
    }
  }
  return kept;
}

/** The package folders serving needs, relative to the project. */
export async function servingPackages(): Promise<string[]> {
  // koffi is loaded by path too (the executor's bundle names its folder).
  // Of isolated-vm's lines, the one that loads on this Node (the executor tries them in the same order).
  const isolatedVm = await loadingIsolatedVmFolder();
  const folders = withDependencies([...(await importedPackages()), ...(isolatedVm ? [isolatedVm] : []), koffiFolder()]);
  return [...folders].map((folder) => relative(ROOT, folder)).sort();
}

/** koffi's binaries for other systems and processors (26 MB of them). */
const KOFFI_BINARIES = join(koffiFolder(), "build", "koffi");
const otherKoffiBinary = (source: string) => source.startsWith(KOFFI_BINARIES + sep) && !source.startsWith(join(KOFFI_BINARIES, `linux_${process.arch}`));

/** Copies the sources and the serving packages into `out`. */
export async function copyServingTree(out: string): Promise<string[]> {
  const packages = await servingPackages();
  for (const path of [...SOURCES, ...packages]) {
    await mkdir(dirname(join(out, path)), { recursive: true });
    // A nested package is copied with its parent; its own copy then finds it there.
    await cp(join(ROOT, path), join(out, path), { recursive: true, force: true, filter: (source) => !source.slice(join(ROOT, path).length).split(sep).includes("node_modules") && !otherKoffiBinary(source) });
  }
  return packages;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const out = process.argv[2];
  if (!out) throw new Error("usage: tsx builds/image/serving-tree.ts <out>");
  const packages = await copyServingTree(out);
  console.log(`${packages.length} packages: ${packages.map((p) => p.replace(/^node_modules\//, "")).join(", ")}`);
}
