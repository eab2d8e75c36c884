/** Python module + site-packages layer -> a snapshotted CPython component. */
import { extname, join } from "node:path";
import type { BuildRequest, BuiltComponent } from "../built-component.ts";
import { componentizePython } from "./componentize.ts";
import { SITE_PACKAGES } from "./layer.ts";
import { layerExtensions } from "./native-layer.ts";
import { buildCacheDir } from "../cache-dir.ts";
import { VialError } from "../errors.ts";

const PYTHON_VERSION = "3.11.2";

export async function buildPythonComponent({ modulePath, layerDir, progress }: BuildRequest): Promise<BuiltComponent> {
  if (extname(modulePath) !== ".py") throw new VialError(`this is a Python environment: deploy a .py module, not ${extname(modulePath) || "a file without extension"}`);
  const cacheDir = buildCacheDir();
  const extensions = await layerExtensions(layerDir, cacheDir, progress);
  const component = await componentizePython({ modulePath, sitePackages: join(layerDir, SITE_PACKAGES), cacheDir, extensions, onProgress: progress });
  return { component, engine: "cpython", componentEngine: { name: "cpython", version: PYTHON_VERSION } };
}
