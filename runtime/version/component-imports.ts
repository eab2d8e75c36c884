/**
 * The host interfaces a version really imports, read from its transpiled
 * bindings (`imports['wasi:…']`), so a manifest that under-reports them
 * does not get past the allowlist.
 */
import { unversioned } from "../languages.ts";

const IMPORT_ACCESS = /\bimports\[['"]([^'"]+)['"]\]/g;

export function importsInBindings(bindings: string): string[] {
  return [...new Set([...bindings.matchAll(IMPORT_ACCESS)].map((m) => m[1]!))].sort();
}

/** Imports (from any source) that the allowlist does not cover. */
export function ungrantedImports(imports: Iterable<string>, allowlist: string[]): string[] {
  const allowed = new Set(allowlist.map(unversioned));
  return [...new Set([...imports].filter((name) => !allowed.has(unversioned(name))))].sort();
}
