// Builds (once) and caches CPython 3.11 for wasm32-wasi. The cache entry is
// keyed by a digest of the build script and the pinned source versions, so
// editing the script or bumping a version produces a fresh build.
import { createHash } from "node:crypto";
import { readFile, rm } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { BuildLog, runLogged } from "../build-log.ts";
import { sourceArchive, type SourceArchive } from "../sources/archive.ts";
import { cachedBuild } from "./cached-build.ts";
import { PYTHON_SOURCE, ZLIB_SOURCE } from "./interpreter/sources.ts";

const HERE = dirname(fileURLToPath(import.meta.url));
const SCRIPT = join(HERE, "interpreter", "build.sh");
const SOURCES = [PYTHON_SOURCE, ZLIB_SOURCE];
// The toolchain, which the script installs from Debian.
const TOOLCHAIN = "clang-16 wasi-libc";

export interface InterpreterBuild {
  /** Root of the cached build. */
  dir: string;
  digest: string;
  includeDir: string;
  libDir: string;
  /** Pure-Python stdlib (lib/python3.11). */
  stdlibDir: string;
  /** Static libraries to link after the glue, in order (absolute paths). */
  libraries: string[];
  /** Extra -l flags (WASI emulation libraries). */
  linkFlags: string[];
  /** The libraries hold bitcode: the core module's link optimises them. */
  lto: boolean;
}

/**
 * How CPython is built (build.sh's PY_* settings). The defaults measured
 * fastest on the fuzzy example (docs/python.md, "Interpreter speed");
 * VIAL_PYTHON_BUILD, a JSON object, overrides any of them to measure others.
 */
const DEFAULT_OPTIONS = { PY_OPT: "-O2", PY_PYMALLOC: "yes", PY_COMPUTED_GOTOS: "no", PY_LTO: "full" };

function buildOptions(): Record<string, string> {
  return { ...DEFAULT_OPTIONS, ...(JSON.parse(process.env.VIAL_PYTHON_BUILD ?? "{}") as Record<string, string>) };
}

export async function interpreterDigest(): Promise<string> {
  const h = createHash("sha256");
  h.update(await readFile(SCRIPT));
  for (const src of SOURCES) h.update(`${src.file}:${src.sha256.join(",")}\n`);
  h.update(TOOLCHAIN);
  h.update(JSON.stringify(buildOptions()));
  return h.digest("hex").slice(0, 16);
}

export async function ensureInterpreter(opts: {
  cacheDir: string;
  onProgress?: (msg: string) => void;
}): Promise<InterpreterBuild> {
  const digest = await interpreterDigest();
  const work = join(opts.cacheDir, "python-wasi-work");
  const dir = await cachedBuild({
    cacheDir: opts.cacheDir,
    prefix: "python-wasi-",
    key: digest,
    marker: "manifest.json",
    what: "interpreter",
    onProgress: opts.onProgress,
    build: async (into) => {
      opts.onProgress?.(`building CPython for wasm32-wasi into ${into.replace(/\.tmp-\d+$/, "")} (first time takes a few minutes)`);
      const source = (src: SourceArchive) => sourceArchive(src, { cacheDir: opts.cacheDir, progress: opts.onProgress });
      const PY_TAR = await source(PYTHON_SOURCE);
      const ZLIB_TAR = await source(ZLIB_SOURCE);
      const log = BuildLog.open(opts.cacheDir, "interpreter");
      await runLogged("building CPython for the sandbox", "bash", [SCRIPT, into, work], log, {
        env: { ...process.env, ...buildOptions(), PY_TAR, ZLIB_TAR },
        onLine: (l) => { if (l.startsWith("==> ")) opts.onProgress?.(l.slice(4)); },
      });
      await log.discard();
      await rm(work, { recursive: true, force: true });
    },
  });
  return describeBuild(dir, digest);
}

async function describeBuild(dir: string, digest: string): Promise<InterpreterBuild> {
  const libDir = join(dir, "lib");
  const order = (await readFile(join(dir, "libraries.txt"), "utf8")).split("\n").filter(Boolean);
  const flags = (await readFile(join(dir, "link-flags.txt"), "utf8")).split("\n").filter(Boolean);
  return {
    dir,
    digest,
    includeDir: join(dir, "include"),
    libDir,
    stdlibDir: join(libDir, "python3.11"),
    libraries: order.map((f) => join(libDir, f)),
    linkFlags: flags,
    lto: (JSON.parse(await readFile(join(dir, "manifest.json"), "utf8")) as { lto?: string }).lto !== "no",
  };
}
