/**
 * Loads any component the way runtime/component/instantiate.ts does (transpiled
 * bindings, core modules compiled once, no imports granted), but returns the
 * raw exports so a benchmark can call whatever its world exports.
 */
import "../../runtime/wasm/flags.ts";
import { mkdir, mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { transpileComponent, BINDINGS_NAME } from "../../builds/transpile.ts";

export type Exports = Record<string, (...args: any[]) => any>;
type Instantiate = (get: (name: string) => WebAssembly.Module, imports: object) => Promise<Exports>;

export interface Loaded {
  instantiate(): Promise<Exports>;
  compileMs: number;
  /** Bytes of the transpiled core modules (the engine dominates). */
  coreBytes: number;
}

/**
 * Transpiles once into `dir` (core modules in `coreDir`, default the same folder:
 * a published version keeps them in core/); returns the bindings file.
 */
export async function transpileTo(component: Uint8Array, dir?: string, coreDir?: string): Promise<string> {
  const out = dir ?? (await mkdtemp(join(tmpdir(), "vial-bench-")));
  const { core, bindings, imports } = await transpileComponent(component);
  if (imports.length) throw new Error(`benchmark component imports ${imports.join(", ")}`);
  await mkdir(coreDir ?? out, { recursive: true });
  for (const [file, bytes] of core) await writeFile(join(coreDir ?? out, file), bytes);
  const file = join(out, `${BINDINGS_NAME}.mjs`);
  await writeFile(file, bindings);
  return file;
}

export async function loadTranspiled(bindingsFile: string): Promise<Loaded> {
  const { readdir, readFile } = await import("node:fs/promises");
  const dir = join(bindingsFile, "..");
  const modules = new Map<string, WebAssembly.Module>();
  let coreBytes = 0;
  const t0 = performance.now();
  for (const file of (await readdir(dir)).filter((f) => f.endsWith(".wasm"))) {
    const bytes = await readFile(join(dir, file));
    coreBytes += bytes.length;
    modules.set(file, await WebAssembly.compile(bytes));
  }
  const compileMs = performance.now() - t0;
  const { instantiate } = (await import(pathToFileURL(bindingsFile).href)) as { instantiate: Instantiate };
  return {
    compileMs,
    coreBytes,
    instantiate: () =>
      instantiate((name) => {
        const m = modules.get(name);
        if (!m) throw new Error(`unknown core module ${name}`);
        return m;
      }, {}),
  };
}

export async function loadComponent(component: Uint8Array): Promise<Loaded> {
  return loadTranspiled(await transpileTo(component));
}
