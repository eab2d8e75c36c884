/**
 * isolated-vm, loaded on first use: it is a native addon that builds only
 * where a compiler and a matching Node are present. Where it cannot load,
 * callers learn why and run the version's component instead.
 */
import type IsolatedVm from "isolated-vm";

export type Ivm = typeof IsolatedVm;

let loading: Promise<Ivm | Error> | undefined;

export function loadIsolatedVm(): Promise<Ivm | Error> {
  loading ??= import("isolated-vm").then(
    (module) => ((module as { default?: Ivm }).default ?? (module as unknown as Ivm)),
    (error: unknown) => new Error(`isolated-vm cannot be loaded here (${String((error as Error)?.message ?? error).split("\n")[0]})`),
  );
  return loading;
}

/** isolated-vm itself, or the reason it cannot be used. */
export async function requireIsolatedVm(): Promise<Ivm> {
  const ivm = await loadIsolatedVm();
  if (ivm instanceof Error) throw ivm;
  return ivm;
}
