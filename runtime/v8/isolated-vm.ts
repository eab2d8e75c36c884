/**
 * isolated-vm, loaded on first use. It is a native addon and each major
 * line supports a few Node lines, so several are optional dependencies under
 * npm aliases, newest first; npm installs only those whose `engines` admit
 * the Node at hand (7: 24+, prebuilt for 24 and 26; 6: 22+, prebuilt for 22
 * and 24; 5: built from source, Node 20). The first that loads is used;
 * where none does, callers learn why and run the version's component.
 */
import type IsolatedVm from "isolated-vm";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { basename, dirname, join } from "node:path";
import { pathToFileURL } from "node:url";

export type Ivm = typeof IsolatedVm;

/** The package names tried, in order. */
export const ISOLATED_VM_PACKAGES = ["isolated-vm-7", "isolated-vm-6", "isolated-vm"] as const;

/** Set by the executor's bundler: the folders the host resolved (a bundle lives away from node_modules). */
declare const VIAL_ISOLATED_VM_FOLDERS: string[] | undefined;

/** The installed packages' folders, in the order they are tried. */
export function isolatedVmFolders(): string[] {
  if (typeof VIAL_ISOLATED_VM_FOLDERS !== "undefined") return VIAL_ISOLATED_VM_FOLDERS;
  const require = createRequire(import.meta.url);
  const folders: string[] = [];
  for (const name of ISOLATED_VM_PACKAGES) {
    try {
      folders.push(dirname(require.resolve(`${name}/package.json`)));
    } catch {
      // not installed for this Node
    }
  }
  return folders;
}

/**
 * What loading them reads, for the executor's permission model: the folders,
 * and for 6 and 7, which find their binary with node-gyp-build at load,
 * node-gyp-build's folder and the file it checks to tell musl from glibc.
 */
export function isolatedVmReadable(folders: string[]): string[] {
  const readable = new Set(folders);
  for (const folder of folders) {
    const { dependencies = {} } = JSON.parse(readFileSync(join(folder, "package.json"), "utf8")) as { dependencies?: Record<string, string> };
    if (!("node-gyp-build" in dependencies)) continue;
    readable.add(dirname(createRequire(join(folder, "package.json")).resolve("node-gyp-build/package.json")));
    readable.add("/etc/alpine-release");
  }
  return [...readable];
}

const firstLine = (error: unknown) => String((error as Error)?.message ?? error).split("\n")[0];

async function loadFirst(): Promise<{ folder: string; ivm: Ivm } | Error> {
  const folders = isolatedVmFolders();
  if (folders.length === 0) return new Error(`isolated-vm cannot be loaded here (none of ${ISOLATED_VM_PACKAGES.join(", ")} is installed for Node ${process.versions.node})`);
  const failures: string[] = [];
  for (const folder of folders) {
    try {
      const module = await import(pathToFileURL(join(folder, "isolated-vm.js")).href);
      return { folder, ivm: (module as { default?: Ivm }).default ?? (module as Ivm) };
    } catch (error) {
      failures.push(`${folder.slice(folder.lastIndexOf("/") + 1)}: ${firstLine(error)}`);
    }
  }
  return new Error(`isolated-vm cannot be loaded here (${failures.join("; ")})`);
}

let loading: Promise<{ folder: string; ivm: Ivm } | Error> | undefined;
const loaded = () => (loading ??= loadFirst());

export async function loadIsolatedVm(): Promise<Ivm | Error> {
  const first = await loaded();
  return first instanceof Error ? first : first.ivm;
}

/** The installed folder whose addon loads on this Node, if one does. */
export async function loadingIsolatedVmFolder(): Promise<string | undefined> {
  const first = await loaded();
  return first instanceof Error ? undefined : first.folder;
}

/** isolated-vm itself, or the reason it cannot be used. */
export async function requireIsolatedVm(): Promise<Ivm> {
  const ivm = await loadIsolatedVm();
  if (ivm instanceof Error) throw ivm;
  return ivm;
}

/** Whether an executor runs isolates here, and with which line (tried in the executor's own sandbox). */
export type IsolatedVmAvailability = { available: true; /** "isolated-vm-6 6.2.0" */ isolatedVm: string } | { available: false; reason: string };

/** Loads the first of `folders` that loads (as loadIsolatedVm does), runs an isolate; prints the answer and the folder. */
const PROBE = (folders: string[]) =>
  `let ivm, from, failed = []; for (const f of ${JSON.stringify(folders)}) { try { ivm = require(f + "/isolated-vm.js"); from = f; break; } catch (e) { failed.push(String(e.message).split("\\n")[0]); } }` +
  ` if (!ivm) throw new Error(failed.join("; ")); const i = new ivm.Isolate({ memoryLimit: 8 }); process.stdout.write(String(i.compileScriptSync("6*7").runSync(i.createContextSync())) + "\\n" + from);`;

/** `node` runs Node with these arguments where an executor would run, and gives what it printed (or throws). */
export async function isolatedVmAvailability(node: (args: string[]) => Promise<string>, folders: string[]): Promise<IsolatedVmAvailability> {
  try {
    if (folders.length === 0) throw new Error(`isolated-vm is not installed for Node ${process.versions.node}`);
    const [answer, folder] = (await node(["-e", PROBE(folders)])).split("\n");
    if (answer !== "42" || !folder) throw new Error("an isolate did not compute");
    const { version } = JSON.parse(readFileSync(join(folder, "package.json"), "utf8")) as { version: string };
    return { available: true, isolatedVm: `${basename(folder)} ${version}` };
  } catch (error) {
    return { available: false, reason: `isolated-vm cannot run in an executor here (${(error as Error).message})` };
  }
}
