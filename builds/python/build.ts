/** Python module + site-packages layer -> a snapshotted CPython component. */
import { extname, join } from "node:path";
import { homedir } from "node:os";
import type { BuildRequest, BuiltComponent } from "../built-component.ts";
import { componentizePython } from "./componentize.ts";
import { SITE_PACKAGES } from "./layer.ts";
import { VialError } from "../errors.ts";

/** The interpreter build is shared by every store on the machine: minutes once, then reused. */
export const interpreterCacheDir = (): string => process.env.VIAL_CACHE_DIR ?? join(homedir(), ".cache", "vial");

const PYTHON_VERSION = "3.11.2";

export async function buildPythonComponent({ modulePath, layerDir, progress }: BuildRequest): Promise<BuiltComponent> {
  if (extname(modulePath) !== ".py") throw new VialError(`this is a Python environment: deploy a .py module, not ${extname(modulePath) || "a file without extension"}`);
  const component = await componentizePython({ modulePath, sitePackages: join(layerDir, SITE_PACKAGES), cacheDir: interpreterCacheDir(), onProgress: progress });
  return { component, engine: "cpython", componentEngine: { name: "cpython", version: PYTHON_VERSION } };
}
