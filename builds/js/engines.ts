/**
 * The JS engines a component can embed. Both are interpreters compiled to
 * WASM and pre-initialized with the bundle (Wizer), so an instance starts with
 * the module already evaluated. docs/design.md compares them.
 */
import { writeFile, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { packageVersion } from "../package-version.ts";
import { VialError } from "../errors.ts";
import { JS_ENGINES } from "./engine-names.ts";

export const WIT_DIR = fileURLToPath(new URL("../../wit/", import.meta.url));
export const WORLD = "environment";

/** Which WIT world the component implements: vial's, unless a benchmark brings its own. */
export interface WorldTarget {
  witPath: string;
  world: string;
}

const VIAL_WORLD: WorldTarget = { witPath: WIT_DIR, world: WORLD };

export interface Engine {
  name: string;
  /** Whether the bundle's `\p{...}` regexes must be expanded first. */
  needsRegexExpansion: boolean;
  version: string;
  componentize(bundle: string, target?: WorldTarget): Promise<Uint8Array>;
}


/** Componentization errors arrive wrapped in toolchain noise; keep the JS error line. */
function explain(engine: string, error: unknown): VialError {
  const text = String((error as Error)?.message ?? error);
  const line = text.split("\n").map((l) => l.trim()).find((l) => /Error:|error:/.test(l) && !/^Error: :?\s*$/.test(l)) ?? text.split("\n")[0];
  return new VialError(`the ${engine} engine could not load the module: ${line.replace(/^.*?(\w*Error:)/, "$1").slice(0, 300)}`);
}

interface NodePreopens {
  _setPreopens(preopens: Record<string, string>): void;
}

const quickjs: Engine = {
  name: "quickjs",
  needsRegexExpansion: false,
  version: packageVersion("componentize-qjs"),
  async componentize(bundle, { witPath, world } = VIAL_WORLD) {
    const { componentize } = await import("componentize-qjs");
    try {
      const { component } = await componentize({ witPath, world, jsSource: bundle, stubWasi: true, sync: true });
      return component;
    } catch (error) {
      throw explain("quickjs", error);
    }
  },
};

const starlingmonkey: Engine = {
  name: "starlingmonkey",
  needsRegexExpansion: true,
  version: packageVersion("@bytecodealliance/componentize-js"),
  async componentize(bundle, { witPath, world } = VIAL_WORLD) {
    // componentize-js reads files through preview2-shim, which has no preopens by default.
    // This is the build process only: the host never uses preview2-shim.
    // (Its export map hands TypeScript the browser typings; the node build takes host paths.)
    const { _setPreopens } = (await import("@bytecodealliance/preview2-shim/filesystem")) as unknown as NodePreopens;
    _setPreopens({ "/": "/" });
    const { componentize } = await import("@bytecodealliance/componentize-js");
    const dir = await mkdtemp(join(tmpdir(), "vial-sm-"));
    try {
      const sourcePath = join(dir, "bundle.js");
      await writeFile(sourcePath, bundle);
      const { component } = await componentize({
        sourcePath,
        witPath,
        worldName: world,
        disableFeatures: ["http", "fetch-event", "random", "clocks", "stdio"],
      });
      return component;
    } catch (error) {
      throw explain("starlingmonkey", error);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  },
};

/** The engines a component can embed. */
export { DEFAULT_ENGINE, JS_ENGINES } from "./engine-names.ts";

export const ENGINES: Record<string, Engine> = { quickjs, starlingmonkey };


/** The engine compiled into the component of an environment that chose `name`. */
export function componentEngine(name: string): Engine {
  const engine = ENGINES[name === "v8" ? "quickjs" : name];
  if (!engine) throw new VialError(`unknown engine '${name}': choose one of ${JS_ENGINES.join(", ")}`);
  return engine;
}
