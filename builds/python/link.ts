// Links glue.c, libpython and any native packages' extension modules into the
// interpreter's core module, cached per interpreter build, glue source, set of
// extension modules and flags (not per checkout path). With link-time
// optimisation this is where libpython is optimised: minutes, once.
import { createHash } from "node:crypto";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { run } from "../run-command.ts";
import { cachedBuild } from "./cached-build.ts";
import { inittabSource } from "./inittab.ts";
import type { InterpreterBuild } from "./interpreter.ts";
import type { ExtensionModule } from "./native-build.ts";

const GLUE = join(dirname(fileURLToPath(import.meta.url)), "glue", "glue.c");
// 256 MiB: a runaway allocation ends as MemoryError instead of exhausting the host.
const MAX_MEMORY = 256 * 1024 * 1024;

/** The core module's path. */
export async function linkCore(interp: InterpreterBuild, cacheDir: string, progress: (m: string) => void, extensions: ExtensionModule[] = []): Promise<string> {
  const inittab = inittabSource(extensions);
  const flags = linkFlags(interp, extensions);
  const objects = new Set([GLUE, ...extensions.map((m) => m.object)]);
  // The interpreter is in the prefix (its digest): where its cache folder is does not count.
  const settings = flags.filter((f) => !objects.has(f)).map((f) => f.replaceAll(interp.dir, "")).join(" ");
  const key = createHash("sha256").update(await readFile(GLUE)).update(inittab).update(settings);
  for (const m of extensions) key.update(await readFile(m.object));
  const prefix = `python-core-${interp.digest}-`;
  const dir = await cachedBuild({
    cacheDir,
    prefix,
    key: key.digest("hex").slice(0, 16),
    marker: "core.wasm",
    what: "core module",
    onProgress: progress,
    // Links for an older interpreter are not used again; links for other sets of extensions may be.
    stale: (name) => name.startsWith("python-core-") && !name.startsWith(prefix),
    build: async (into) => {
      progress(`linking glue with libpython${extensions.length ? ` and ${extensions.length} extension modules` : ""}${interp.lto ? " (link-time optimisation: a minute or two, once)" : ""}`);
      const work = await mkdtemp(join(tmpdir(), "vial-link-"));
      try {
        await writeFile(join(work, "inittab.c"), inittab);
        await mkdir(into, { recursive: true });
        await run("clang-16", [...flags, join(work, "inittab.c"), "-o", join(into, "core.wasm")]);
      } finally {
        await rm(work, { recursive: true, force: true });
      }
    },
  });
  return join(dir, "core.wasm");
}

function linkFlags(interp: InterpreterBuild, extensions: ExtensionModule[]): string[] {
  return [
    "--target=wasm32-wasi", "-mexec-model=reactor", "-O2",
    `-I${interp.includeDir}`, "-Wno-int-conversion",
    GLUE,
    ...extensions.map((m) => m.object),
    ...interp.libraries,
    ...interp.linkFlags,
    "-lm",
    // Native packages may have C++ parts (numpy's sorts) and print long
    // doubles (wasi-libc leaves that out unless asked); unused otherwise.
    ...(extensions.length ? ["-lc++", "-lc++abi", "-lc-printscan-long-double"] : []),
    "-Wl,-z,stack-size=524288", "-Wl,--stack-first", "-Wl,--strip-debug",
    "-Wl,--initial-memory=20971520", `-Wl,--max-memory=${MAX_MEMORY}`,
  ];
}
