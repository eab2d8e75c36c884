/**
 * What the runtime knows of each language, in one place: the host interfaces
 * its components may import (their grants) and the engines that run it.
 * Anything not granted here is refused at load and, should a binding still
 * reach for it, at instantiation. builds/languages.ts adds each language's
 * builder to this.
 */
import type { Language } from "./manifest.ts";
import { createWasiImports, PYTHON_IMPORT_ALLOWLIST, type WasiImportOptions } from "./capabilities/index.ts";

export interface LanguageRuntime {
  /** Interface names without version, e.g. "wasi:cli/environment". */
  allowlist: string[];
  /** Builds the import object for one instance (called where the instance lives). */
  createImports(opts?: WasiImportOptions): Record<string, unknown>;
  /** Engines a version of this language can be built for; the first is the default. */
  engines: string[];
}

const LANGUAGES: Record<Language, LanguageRuntime> = {
  // JS components import nothing. "v8" runs the version's bundle in an isolate; its component is built with QuickJS.
  js: { allowlist: [], createImports: () => ({}), engines: ["v8", "quickjs", "starlingmonkey"] },
  // CPython needs a minimal WASI, implemented by the runtime without ambient access (runtime/capabilities/).
  python: { allowlist: PYTHON_IMPORT_ALLOWLIST, createImports: createWasiImports, engines: ["cpython"] },
};

export function languageRuntime(language: Language): LanguageRuntime {
  const runtime = LANGUAGES[language];
  if (!runtime) throw new Error(`no runtime is defined for ${String(language)} components`);
  return runtime;
}

/** "wasi:io/streams@0.2.3" -> "wasi:io/streams": the allowlist names interfaces, not releases. */
export const unversioned = (name: string): string => name.replace(/@[^/]*$/, "");
