/** Bundles a variant's guest and componentizes it with either engine. */
import { build } from "esbuild";
import { fileURLToPath } from "node:url";
import { ENGINES } from "../../builds/js/engines.ts";
import { GUEST_BUNDLE } from "../../builds/js/bundle.ts";

export const HERE = fileURLToPath(new URL(".", import.meta.url));
export const WORLD = "bench";

export async function bundleGuest(entry: string): Promise<string> {
  const result = await build({ ...GUEST_BUNDLE, entryPoints: [entry], conditions: ["import", "default"] });
  return result.outputFiles[0].text;
}

export interface QjsOptions {
  disableGc?: boolean;
  optSize?: boolean;
}

export async function componentizeQjs(witPath: string, jsSource: string, opts: QjsOptions = {}, world = WORLD): Promise<Uint8Array> {
  const { componentize } = await import("componentize-qjs");
  const { component } = await componentize({ witPath, world, jsSource, stubWasi: true, sync: true, ...opts });
  return component;
}

export async function componentizeSm(witPath: string, jsSource: string, world = WORLD): Promise<Uint8Array> {
  return ENGINES.starlingmonkey.componentize(jsSource, { witPath, world });
}
