// pandas 2.2, built with meson against vial's numpy (1.24.2 satisfies
// pandas 2.2.3's numpy>=1.23.2 for CPython 3.11).
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { NativeRecipe } from "./recipe.ts";

const HERE = join(dirname(fileURLToPath(import.meta.url)), "pandas");

export const pandas: NativeRecipe = {
  name: "pandas",
  defaultVersion: "2.2.3",
  // The patches and the version file fit 2.2.3's tree.
  supports: (v) => v === "2.2.3",
  shippedSources: {},
  // Debian's tarball is the release's git tree (11 MB): fetched at build time, not shipped.
  debianSource: {
    pkg: "pandas",
    archives: { "2.2.3": { file: "pandas_2.2.3+dfsg.orig.tar.xz", sha256: "3aea680c0953fb61ad11d5fb75023b84ff3c0f8bb7faa03a2bf538635a1dcbbe" } },
  },
  apt: ["ninja-build"],
  build: { system: "meson", options: ["-Dbuildtype=release"], tools: ["meson==1.12.1", "cython==3.3.0"] },
  needs: ["numpy"],
  // Debian's tree is git's, without the version file a release's sdist has and
  // without versioneer, which pandas' meson.build would run to write it.
  sdistFiles: join(HERE, "sdist-files"),
  // WASI's interpreter has no ctypes or mmap, which pandas imports at start only for Windows' clipboard, the
  // interchange protocol and memory-mapped files; and its C++ has no exceptions.
  patches: ["versioneer-optional.patch", "no-ctypes-mmap-at-import.patch", "no-cxx-exceptions.patch"].map((p) => join(HERE, p)),
  // numpy's headers would otherwise pull in setjmp for Ctrl-C support, which WASI lacks.
  cflags: ["-DNPY_NO_SIGNAL"],
  env: {},
  drop: [],
};
