/**
 * Running a component the way vial does: core modules compiled once with
 * their memory capped (reusable across instances and threads), then
 * instantiated through the version's transpiled bindings with exactly the
 * imports its language is granted.
 */
import "../wasm/flags.ts";
import type { Language } from "../manifest.ts";
import { capMemory, WASM_PAGE } from "../wasm/memory-cap.ts";
import { GuestCallError, type Guest } from "../guest.ts";
import { languageRuntime } from "../languages.ts";
import type { WasiImportOptions } from "../capabilities/index.ts";
import { guardImports } from "./guard-imports.ts";

export type CoreModules = Map<string, WebAssembly.Module>;

/** What instantiating needs: compiled modules are shared, the bindings are source text. */
export interface CompiledComponent {
  language: Language;
  bindings: string;
  modules: CoreModules;
}

/** `memoryLimitBytes`: the largest linear memory any core module may define (rewritten into the module before compiling). */
export async function compileCore(core: Iterable<[string, Uint8Array]>, memoryLimitBytes?: number): Promise<CoreModules> {
  const modules: CoreModules = new Map();
  const maxPages = memoryLimitBytes === undefined ? undefined : Math.floor(memoryLimitBytes / WASM_PAGE);
  for (const [file, bytes] of core) {
    modules.set(file, await WebAssembly.compile((maxPages === undefined ? bytes : capMemory(bytes, maxPages)) as BufferSource));
  }
  return modules;
}

type InstantiateCore = (module: WebAssembly.Module, imports?: WebAssembly.Imports) => Promise<WebAssembly.Instance>;
type Instantiate = (getCoreModule: (name: string) => WebAssembly.Module, imports: object, instantiateCore?: InstantiateCore) => Promise<Record<string, Function>>;

/** The bindings import nothing: loaded from their text, so no file of the version needs to be readable here. */
const loadBindings = async (source: string): Promise<Instantiate> =>
  ((await import(`data:text/javascript;base64,${Buffer.from(source).toString("base64")}`)) as { instantiate: Instantiate }).instantiate;

export interface InstantiateOptions {
  /** Sees every core instance as the bindings create it (e.g. to find its memories). */
  onCoreInstance?: (instance: WebAssembly.Instance) => void;
  /** Where the guest's stdout/stderr lines go (languages granted WASI only). */
  wasi?: WasiImportOptions;
}

/** A component instance: the guest contract, and its synchronous form (a component call never yields). */
export interface ComponentGuest extends Guest {
  callSync(fn: string, batch: string): string;
}

export async function instantiateComponent(component: CompiledComponent, opts: InstantiateOptions = {}): Promise<ComponentGuest> {
  const runtime = languageRuntime(component.language);
  const imports = guardImports(runtime.createImports(opts.wasi), runtime.allowlist);
  const instantiate = await loadBindings(component.bindings);
  const instantiateCore: InstantiateCore = async (module, coreImports) => {
    const instance = await WebAssembly.instantiate(module, coreImports ?? {});
    opts.onCoreInstance?.(instance);
    return instance;
  };
  const getCoreModule = (name: string) => {
    const module = component.modules.get(name);
    if (!module) throw new Error(`bindings asked for unknown core module ${name}`);
    return module;
  };
  const exports = await instantiate(getCoreModule, imports, instantiateCore);
  const callSync = (fn: string, batch: string): string => {
    try {
      return exports.call(fn, batch) as string;
    } catch (error) {
      // Depending on the jco version the `err` arrives as the bare string or wrapped with a `payload`.
      if (typeof error === "string") throw new GuestCallError(error);
      const payload = (error as { payload?: unknown } | null)?.payload;
      if (typeof payload === "string") throw new GuestCallError(payload);
      throw error;
    }
  };
  return {
    describe: async () => exports.describe() as string,
    reseed: async (entropy) => void exports.reseed(entropy),
    call: async (fn, batch) => callSync(fn, batch),
    callSync,
  };
}
