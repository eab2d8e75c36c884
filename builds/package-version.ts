import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

const NODE_MODULES = fileURLToPath(new URL("../node_modules/", import.meta.url));

/** Installed version of a dependency (read from disk: some packages do not export package.json). */
export const packageVersion = (name: string): string =>
  JSON.parse(readFileSync(`${NODE_MODULES}${name}/package.json`, "utf8")).version;
