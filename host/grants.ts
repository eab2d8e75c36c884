/**
 * The one place a language's grants are resolved: which host interfaces a
 * component may import, and the implementations handed to each instance. JS
 * components get nothing. Anything not granted here is refused at load and,
 * should a binding still reach for it, at instantiation.
 */
import type { Language } from "../builds/store.ts";
import { createWasiImports, PYTHON_IMPORT_ALLOWLIST } from "./capabilities/index.ts";

export interface LanguageGrants {
  /** Interface names without version, e.g. "wasi:cli/environment". */
  allowlist: string[];
  /** Builds the import object for one instance (called inside the worker). */
  createImports(): Promise<Record<string, unknown>>;
}

const GRANTS: Record<Language, LanguageGrants> = {
  js: { allowlist: [], createImports: async () => ({}) },
  // CPython needs a minimal WASI, implemented by the host without ambient access (host/capabilities/).
  python: { allowlist: PYTHON_IMPORT_ALLOWLIST, createImports: async () => createWasiImports() },
};

export async function grantsFor(language: Language): Promise<LanguageGrants> {
  const grants = GRANTS[language];
  if (!grants) throw new Error(`no grants are defined for ${String(language)} components`);
  return grants;
}

/** "wasi:io/streams@0.2.3" -> "wasi:io/streams": the allowlist names interfaces, not releases. */
export const unversioned = (name: string): string => name.replace(/@[^/]*$/, "");
