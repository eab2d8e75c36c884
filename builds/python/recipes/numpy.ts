// numpy without BLAS: its own C fallbacks (lapack_lite, pocketfft) and no SIMD
// dispatch, built with numpy.distutils as numpy 1.2x expects.
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { NativeRecipe } from "./recipe.ts";

const HERE = join(dirname(fileURLToPath(import.meta.url)), "numpy");

export const numpy: NativeRecipe = {
  name: "numpy",
  defaultVersion: "1.24.2",
  // numpy.distutils builds (meson from 1.26 on need another recipe); 1.23 and
  // 1.24 support CPython 3.11.
  supports: (v) => /^1\.2[34]\.\d+$/.test(v),
  // numpy's v1.24.2 tree without docs and benchmarks: Debian's archive does not
  // always serve its numpy_1.24.2.orig.tar.xz, and offline machines have no index.
  shippedSources: { "1.24.2": join(HERE, "numpy-1.24.2.tar.xz") },
  debianSource: {
    pkg: "numpy",
    archives: { "1.24.2": { file: "numpy_1.24.2.orig.tar.xz", sha256: "a7c88b0cf7c7c5ea03a76593ce4065af3beb8f50c25db6a7ee72369b2c936c65" } },
  },
  apt: ["cython3"],
  // Baseline code only: numpy has no WebAssembly SIMD paths in 1.24.
  build: { system: "setup.py", args: ["--disable-optimization"] },
  needs: [],
  // A package built against numpy asks it for its headers (np.get_include()).
  buildTimeInit: join(HERE, "build-time-init.py"),
  // numpy knows WebAssembly only as Emscripten.
  patches: [join(HERE, "wasm-cpu.patch")],
  // No signals or setjmp in WASI: numpy's Ctrl-C support compiles out.
  cflags: ["-DNPY_NO_SIGNAL", "-D__NPY_PRIVATE_NO_SIGNAL"],
  env: { NPY_BLAS_ORDER: "", NPY_LAPACK_ORDER: "", BLAS: "None", LAPACK: "None", ATLAS: "None", NPY_DISABLE_SVML: "1" },
  drop: ["numpy/distutils", "numpy/f2py", "numpy/_pyinstaller"],
};
