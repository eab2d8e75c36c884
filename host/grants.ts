/**
 * The one place a language's grants are resolved: which host interfaces a
 * component may import, and the implementations handed to it. JS components
 * get nothing. Anything not granted here is refused at load and, should a
 * binding still reach for it, at instantiation.
 */
import { createRequire } from "node:module";
import type { Language } from "../builds/store.ts";

export interface LanguageGrants {
  /** Interface names without version, e.g. "wasi:cli/environment". */
  allowlist: string[];
  /** Builds the import object for one instance (called inside the worker). */
  createImports(): Promise<Record<string, unknown>>;
}

const NOTHING: LanguageGrants = { allowlist: [], createImports: async () => ({}) };

export async function grantsFor(language: Language): Promise<LanguageGrants> {
  if (language === "js") return NOTHING;
  if (language === "python") return pythonGrants();
  throw new Error(`no grants are defined for ${String(language)} components`);
}

interface PythonCapabilities {
  PYTHON_IMPORT_ALLOWLIST: readonly string[];
  createWasiImports(opts?: Record<string, unknown>): Record<string, unknown> | Promise<Record<string, unknown>>;
}

/** Python components need a minimal WASI (host/capabilities/), built without any ambient access. */
async function pythonGrants(): Promise<LanguageGrants> {
  let capabilities: PythonCapabilities;
  try {
    capabilities = await importTypeScript<PythonCapabilities>("./capabilities/index.ts");
  } catch (error) {
    throw new Error(`python components need host/capabilities/index.ts (createWasiImports, PYTHON_IMPORT_ALLOWLIST): ${(error as Error).message}`);
  }
  return {
    allowlist: [...capabilities.PYTHON_IMPORT_ALLOWLIST].map(unversioned),
    createImports: async () => capabilities.createWasiImports({}),
  };
}

/** "wasi:io/streams@0.2.3" -> "wasi:io/streams": the allowlist names interfaces, not releases. */
export const unversioned = (name: string): string => name.replace(/@[^/]*$/, "");

/** ESM import where a loader handles TS (main thread); require inside instance threads, which only have tsx's require hook. */
async function importTypeScript<T>(relative: string): Promise<T> {
  const url = new URL(relative, import.meta.url);
  try {
    return (await import(url.href)) as T;
  } catch (error) {
    if ((error as { code?: string }).code !== "ERR_UNKNOWN_FILE_EXTENSION") throw error;
    return createRequire(import.meta.url)(url.pathname) as T;
  }
}
