/** Bundles a variant's guest and componentizes it with either engine. */
import { build } from "esbuild";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

export const HERE = fileURLToPath(new URL(".", import.meta.url));
export const WORLD = "bench";

export async function bundleGuest(entry: string): Promise<string> {
  const result = await build({
    entryPoints: [entry],
    bundle: true,
    write: false,
    format: "esm",
    platform: "neutral",
    target: "es2022",
    mainFields: ["module", "main"],
    conditions: ["import", "default"],
    logLevel: "silent",
  });
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
  // componentize-js reads its input through preview2-shim, which needs a preopen.
  const { _setPreopens } = (await import("@bytecodealliance/preview2-shim/filesystem")) as unknown as {
    _setPreopens(preopens: Record<string, string>): void;
  };
  _setPreopens({ "/": "/" });
  const { componentize } = await import("@bytecodealliance/componentize-js");
  const dir = await mkdtemp(join(tmpdir(), "vial-bench-sm-"));
  try {
    const sourcePath = join(dir, "guest.js");
    await writeFile(sourcePath, jsSource);
    const { component } = await componentize({
      sourcePath,
      witPath,
      worldName: world,
      disableFeatures: ["http", "fetch-event", "random", "clocks", "stdio"],
    });
    return component;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
