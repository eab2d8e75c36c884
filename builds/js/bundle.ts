/**
 * Bundles a user module, the guest SDK runtime and the environment's
 * dependencies into one ES module for the component. Node built-ins resolve to
 * unenv's pure-JS versions: the ones that compute (path, events, buffer, util)
 * work, the ones that would need a capability (fs, net, child_process) throw an
 * ordinary error inside the guest. Nothing reaches the host. A module that uses
 * the `Buffer` global without importing it gets unenv's Buffer injected.
 */
import { build, type BuildOptions, type Loader, type Plugin, type Message } from "esbuild";
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { builtinModules, createRequire } from "node:module";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { expandPropertyEscapes, propertyClasses } from "./regex-rewrite.ts";
import { VialError, notADependency } from "../errors.ts";

const SDK_DIR = fileURLToPath(new URL("../../guest-sdk/js/", import.meta.url));
const UNENV_NODE = join(dirname(createRequire(import.meta.url).resolve("unenv/package.json")), "dist/runtime/node");
const BUILTINS = new Set(builtinModules.filter((m) => !m.startsWith("_")));

/** How any code meant for a guest engine is bundled: one ES module, no platform assumptions. */
export const GUEST_BUNDLE = {
  bundle: true,
  write: false,
  format: "esm",
  platform: "neutral",
  target: "es2022",
  mainFields: ["module", "main"],
  logLevel: "silent",
} satisfies BuildOptions & { write: false };

export interface BundleOptions {
  modulePath: string;
  nodeModules?: string;
  /** Expand `\p{...}` regexes (engines without Unicode property tables). */
  expandRegexes: boolean;
}

/** Node globals a module may use without importing them; injected only where referenced. */
const NODE_GLOBALS = "vial:node-globals";

function nodeBuiltins(): Plugin {
  return {
    name: "node-builtins",
    setup(b) {
      b.onResolve({ filter: new RegExp(`^${NODE_GLOBALS}$`) }, () => ({ path: NODE_GLOBALS, namespace: "vial" }));
      // The guest's globals come first: the Buffer shim reads some of them (atob, btoa) when it loads.
      b.onLoad({ filter: /.*/, namespace: "vial" }, () => ({ contents: `import "./globals.ts";\nexport { Buffer } from "node:buffer";`, loader: "js", resolveDir: SDK_DIR }));
      b.onResolve({ filter: /^(node:)?[a-z_/]+$/ }, (args) => {
        const name = args.path.replace(/^node:/, "");
        if (!BUILTINS.has(name)) return undefined;
        for (const candidate of [`${name}.mjs`, `${name}/index.mjs`]) {
          const file = join(UNENV_NODE, candidate);
          if (existsSync(file)) return { path: file };
        }
        return { errors: [{ text: `Node built-in '${name}' is not available inside a vial component` }] };
      });
    },
  };
}

const LOADERS = { js: "js", jsx: "jsx", ts: "ts", tsx: "tsx" } as const satisfies Record<string, Loader>;

/** Rewrites `\p{...}` regexes; adds to `names` the properties left for run time. */
function regexRewrite(names: Set<string>): Plugin {
  return {
    name: "regex-rewrite",
    setup(b) {
      b.onLoad({ filter: /\.[mc]?[jt]sx?$/ }, async (args) => {
        const source = await readFile(args.path, "utf8");
        const contents = expandPropertyEscapes(source, args.path, names);
        return contents === source ? undefined : { contents, loader: LOADERS[args.path.replace(/^.*\.[mc]?/, "") as keyof typeof LOADERS] };
      });
    },
  };
}

/** Turns esbuild's first error into one line that says what to fix. */
function explain(errors: Message[], modulePath: string): VialError {
  const first = errors[0];
  const where = first.location ? `${relative(process.cwd(), first.location.file)}:${first.location.line}:${first.location.column}: ` : "";
  const missing = first.text.match(/^Could not resolve "([^"]+)"/);
  if (missing) {
    return new VialError(`${where}${notADependency(missing[1])}`);
  }
  return new VialError(`${where || modulePath + ": "}${first.text}`);
}

export async function bundleModule(opts: BundleOptions): Promise<string> {
  const entry = [
    `import ${JSON.stringify(join(SDK_DIR, "globals.ts"))};`,
    `import * as user from ${JSON.stringify(opts.modulePath)};`,
    `import { createEnvironment } from ${JSON.stringify(join(SDK_DIR, "runtime.ts"))};`,
    `const env = createEnvironment(user);`,
    `export const describe = env.describe;`,
    `export const reseed = env.reseed;`,
    `export const call = env.call;`,
  ].join("\n");
  const runtimeProperties = new Set<string>();
  try {
    const result = await build({
      stdin: { contents: entry, resolveDir: dirname(opts.modulePath), sourcefile: "vial-entry.js", loader: "js" },
      ...GUEST_BUNDLE,
      conditions: ["import", "require", "default"],
      nodePaths: opts.nodeModules ? [opts.nodeModules] : [],
      alias: { "@vial/guest": join(SDK_DIR, "index.ts") },
      inject: [NODE_GLOBALS],
      // CommonJS packages locate their data files this way; the guest has no files, so fs reads fail plainly.
      define: { "process.env.NODE_ENV": '"production"', __dirname: '"/"', __filename: '"/index.js"' },
      plugins: [nodeBuiltins(), ...(opts.expandRegexes ? [regexRewrite(runtimeProperties)] : [])],
      legalComments: "none",
    });
    // Runs before the bundle: the guest's RegExp finds these classes at startup (guest-sdk/js/regexp-properties.ts).
    const classes = propertyClasses(runtimeProperties);
    const prelude = Object.keys(classes).length ? `globalThis[Symbol.for("vial.regexp-property-classes")] = ${JSON.stringify(classes)};\n` : "";
    return prelude + result.outputFiles[0].text;
  } catch (error) {
    const errors = (error as { errors?: Message[] }).errors;
    if (errors?.length) throw explain(errors, opts.modulePath);
    throw error;
  }
}
