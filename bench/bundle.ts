/**
 * The exact JS a component embeds (user module + environment's dependencies +
 * guest runtime, bundled by the build path), as a classic script that defines
 * `vialEnv` = { describe, reseed, call }: for running the same code in V8.
 */
import { transform } from "esbuild";
import { join } from "node:path";
import type { Store } from "../builds/store.ts";
import { bundleModule } from "../builds/js/bundle.ts";

/**
 * Bare V8 contexts lack the web globals btoa/atob that the engines inside the
 * components provide and the bundle's Buffer shim reads at load. Not on any
 * measured path.
 */
const PRELUDE = `(() => {
  const A = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  globalThis.btoa ??= (s) => {
    let out = "";
    for (let i = 0; i < s.length; i += 3) {
      const n = (s.charCodeAt(i) << 16) | ((s.charCodeAt(i + 1) || 0) << 8) | (s.charCodeAt(i + 2) || 0);
      out += A[n >> 18] + A[(n >> 12) & 63] + (i + 1 < s.length ? A[(n >> 6) & 63] : "=") + (i + 2 < s.length ? A[n & 63] : "=");
    }
    return out;
  };
  globalThis.atob ??= (b) => {
    b = b.replace(/=+$/, "");
    let out = "";
    for (let i = 0; i < b.length; i += 4) {
      const n = (A.indexOf(b[i]) << 18) | (A.indexOf(b[i + 1]) << 12) | ((A.indexOf(b[i + 2]) & 63) << 6) | (A.indexOf(b[i + 3]) & 63);
      out += String.fromCharCode(n >> 16) + (i + 2 < b.length ? String.fromCharCode((n >> 8) & 255) : "") + (i + 3 < b.length ? String.fromCharCode(n & 255) : "");
    }
    return out;
  };
})();
`;

export async function scriptBundle(store: Store, env: string, modulePath: string): Promise<string> {
  const def = await store.readEnvironment(env);
  const nodeModules = join(store.layerDir(def.language, def.layer), "node_modules");
  const esm = await bundleModule({ modulePath, nodeModules, expandRegexes: false });
  const { code } = await transform(esm, { format: "iife", globalName: "vialEnv", target: "es2022" });
  return PRELUDE + code;
}
