/** JS/TS module + dependency layer -> the bundle and its component: type-check, bundle, componentize. */
import { extname, join } from "node:path";
import type { BuildRequest, BuiltComponent } from "../built-component.ts";
import { bundleModule } from "./bundle.ts";
import { DEFAULT_ENGINE, componentEngine } from "./engines.ts";
import { typecheckModule } from "./typecheck.ts";
import { VialError } from "../errors.ts";

const EXTENSIONS = new Set([".js", ".mjs", ".ts", ".mts"]);

export async function buildJsComponent({ modulePath, layerDir, engine: engineName = DEFAULT_ENGINE, progress }: BuildRequest): Promise<BuiltComponent> {
  const ext = extname(modulePath);
  if (!EXTENSIONS.has(ext)) throw new VialError(`this is a JS environment: deploy a .ts or .js module, not ${ext || "a file without extension"}`);
  const nodeModules = join(layerDir, "node_modules");
  const engine = componentEngine(engineName);
  if (ext === ".ts" || ext === ".mts") {
    progress("type-checking");
    await typecheckModule(modulePath, nodeModules);
  }
  progress("bundling");
  const bundle = await bundleModule({ modulePath, nodeModules, expandRegexes: engine.needsRegexExpansion });
  progress(`componentizing with ${engine.name}`);
  return { component: await engine.componentize(bundle), bundle, engine: engineName, componentEngine: { name: engine.name, version: engine.version } };
}
