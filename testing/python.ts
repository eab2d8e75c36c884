// Shared by the Python tests and bench/python-guest.ts: fixtures (a pure-Python
// fuzzywuzzy wheel from Debian's package), building a component, loading it
// with jco bindings and the deny-by-default WASI imports, and running the same
// function natively for comparison.
import { execFileSync } from "node:child_process";
import { mkdir, mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { pathToFileURL, fileURLToPath } from "node:url";
import v8 from "node:v8";
import { transpileBytes } from "@bytecodealliance/jco-transpile";
import { ensureDebianPackage } from "./debian.ts";
import { buildCacheDir } from "../builds/cache-dir.ts";
import { createWasiImports } from "../runtime/capabilities/index.js";

v8.setFlagsFromString("--experimental-wasm-extended-const");

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
export const CACHE_DIR = buildCacheDir();
export const FIXTURES = join(ROOT, "test", "python", "fixtures");
const DEBIAN_FUZZY = "/usr/lib/python3/dist-packages/fuzzywuzzy";
export const NATIVE_PYTHON = "/usr/bin/python3";
export { ensureDebianPackage };

/** Debian's python3-fuzzywuzzy, installed if missing. */
export const ensureDebianFuzzywuzzy = (): string => ensureDebianPackage("python3-fuzzywuzzy", DEBIAN_FUZZY);

export function makeWheel(outDir: string, name: string, version: string, tag: string, srcDirs: string[]): string {
  return execFileSync("python3", [join(FIXTURES, "make_wheel.py"), outDir, name, version, tag, ...srcDirs], {
    encoding: "utf8",
  }).trim();
}

/** A requirements file pointing at a fuzzywuzzy wheel made from Debian's files. */
export async function fuzzyRequirements(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "vial-fuzzy-"));
  await mkdir(join(dir, "wheels"));
  makeWheel(join(dir, "wheels"), "fuzzywuzzy", "0.18.0", "py2.py3-none-any", [ensureDebianFuzzywuzzy()]);
  const file = join(dir, "requirements.txt");
  await writeFile(file, "# built from Debian's python3-fuzzywuzzy\n./wheels/fuzzywuzzy-0.18.0-py2.py3-none-any.whl\n");
  return file;
}

export interface Guest {
  describe(): string;
  reseed(entropy: Uint8Array): void;
  call(fn: string, batch: string): string;
}

export interface Loaded {
  instantiate(opts?: Parameters<typeof createWasiImports>[0]): Promise<Guest>;
}

/** Transpiles once, compiles the core modules once; instantiate per instance. */
export async function loadComponent(bytes: Uint8Array): Promise<Loaded> {
  const { files } = (await transpileBytes(bytes, { instantiation: "async", name: "component" } as never)) as {
    files: Record<string, Uint8Array<ArrayBuffer>>;
  };
  const dir = await mkdtemp(join(tmpdir(), "vial-bindings-"));
  await writeFile(join(dir, "component.mjs"), files["component.js"]);
  const mod = await import(pathToFileURL(join(dir, "component.mjs")).href);
  const modules = new Map<string, WebAssembly.Module>();
  const getCoreModule = (name: string) => {
    let m = modules.get(name);
    if (!m) modules.set(name, (m = new WebAssembly.Module(files[name])));
    return m;
  };
  return {
    instantiate: async (opts) => (await mod.instantiate(getCoreModule, createWasiImports(opts ?? {}))) as Guest,
  };
}

/**
 * Python lines that make native CPython run the same code as the guest:
 * Debian's fuzzywuzzy would otherwise pick up the python3-levenshtein C
 * extension, which the sandbox cannot have, instead of pure-Python difflib.
 */
export const NATIVE_PRELUDE = `import sys\nsys.modules["Levenshtein"] = None`;

/** Runs `fn` over `rows` with native CPython (Debian's, with its fuzzywuzzy). */
export function callNative(modulePath: string, fn: string, rows: unknown[]): { rows: unknown[]; errors: unknown[] } {
  const outcome = callNativeOutcome(modulePath, fn, rows);
  if (!outcome.ok) throw new Error(`${fn} failed natively: ${outcome.error}`);
  return outcome.result;
}

/** What the guest's dispatcher answers natively for a batch: the result, or the whole batch's failure. */
export type NativeOutcome = { ok: true; result: { rows: any[]; errors: any[]; logs?: string[] } } | { ok: false; error: string };

export function callNativeOutcome(modulePath: string, fn: string, rows: unknown[] | string): NativeOutcome {
  const script = [
    NATIVE_PRELUDE,
    "import sys, json",
    `sys.path[:0] = [${JSON.stringify(join(ROOT, "guest-sdk", "python"))}, ${JSON.stringify(dirname(modulePath))}]`,
    "import importlib, vial._runtime as rt",
    `importlib.import_module(${JSON.stringify(moduleName(modulePath))})`,
    `ok, out = rt.call(${JSON.stringify(fn)}, sys.stdin.read())`,
    "print(json.dumps({'ok': ok, 'out': out}))",
  ].join("\n");
  const input = typeof rows === "string" ? rows : JSON.stringify(rows);
  const { ok, out } = JSON.parse(execFileSync(NATIVE_PYTHON, ["-B", "-W", "ignore", "-c", script], { input, encoding: "utf8" })) as { ok: boolean; out: string };
  return ok ? { ok, result: JSON.parse(out) } : { ok, error: out };
}

/** What a module's functions describe, natively. */
export function describeNative(modulePath: string): unknown {
  const script = [
    "import sys",
    `sys.path[:0] = [${JSON.stringify(join(ROOT, "guest-sdk", "python"))}, ${JSON.stringify(dirname(modulePath))}]`,
    "import importlib, vial._runtime as rt",
    `importlib.import_module(${JSON.stringify(moduleName(modulePath))})`,
    "print(rt.describe())",
  ].join("\n");
  return JSON.parse(execFileSync(NATIVE_PYTHON, ["-B", "-c", script], { encoding: "utf8" }));
}

export function moduleName(path: string): string {
  return path.split("/").pop()!.replace(/\.py$/, "");
}

const DIST_PACKAGES = "/usr/lib/python3/dist-packages";

/** Debian's numpy, the native side of comparisons with the sandbox's. */
export const ensureDebianNumpy = (): string => ensureDebianPackage("python3-numpy", join(DIST_PACKAGES, "numpy"));

/** Debian's pandas (1.5, with its numpy), for pandas mode run natively. */
export const ensureDebianPandas = (): string => ensureDebianPackage("python3-pandas", join(DIST_PACKAGES, "pandas"));

/**
 * A wheel of Debian's pytest and hypothesis and what importing them needs:
 * numpy's and pandas' test modules import both.
 */
export async function pytestWheel(): Promise<string> {
  ensureDebianPackage("python3-pytest", join(DIST_PACKAGES, "_pytest"));
  ensureDebianPackage("python3-hypothesis", join(DIST_PACKAGES, "hypothesis"));
  const dir = await mkdtemp(join(tmpdir(), "vial-pytest-"));
  const parts = ["pytest", "_pytest", "pluggy", "iniconfig", "attr", "py", "hypothesis", "sortedcontainers"].map((p) => join(DIST_PACKAGES, p));
  return makeWheel(dir, "pytest", "7.2.1", "py3-none-any", parts);
}
