/**
 * What vial needs to know to build one native package for the WASI
 * interpreter. The package's own build does the building (its setup.py, or
 * meson; see native/cross-build.sh); a recipe only says how to call it and
 * what the sandbox can do without. A package with C extensions and no recipe
 * is refused.
 */
export interface NativeRecipe {
  /** Distribution name, as pip normalizes it (lower case, dashes). */
  name: string;
  /** The version a bare `name` line gets; also the one whose source vial ships, if any. */
  defaultVersion: string;
  /** Whether this recipe's patches and flags fit a version. */
  supports(version: string): boolean;
  /** Sources vial ships, by version: used when no local sdist or index has one. */
  shippedSources: Record<string, string>;
  /**
   * Debian's source package of the same software, tried last: its upstream tarball per version, accepted
   * only with the sha256 given here (builds/sources/).
   */
  debianSource?: { pkg: string; archives: Record<string, { file: string; sha256: string }> };
  /** Debian packages the build needs besides the WASI toolchain (code generators, Cython, ninja). */
  apt: string[];
  /** How the package builds itself. */
  build: SetupPyBuild | MesonBuild;
  /**
   * Native packages this one is compiled against (their C headers, their Cython declarations) and
   * imports at run time: built first, and added to the environment when its requirements leave them out.
   */
  needs: string[];
  /**
   * For packages that need this one: what the build Python imports in place of its `__init__.py`. The
   * build Python cannot load the target's compiled modules, but reads the target's headers through it.
   */
  buildTimeInit?: string;
  /** A folder of files a release's sdist has and its git tree (Debian's tarball) lacks: copied where missing. */
  sdistFiles?: string;
  /** Applied to the unpacked source with `patch -p1`, in order. */
  patches: string[];
  /** Compiler flags for every C and C++ file. */
  cflags: string[];
  /** Variables the package's build reads. */
  env: Record<string, string>;
  /** Subpackages left out of the installed files (build tools, useless in a sandbox). */
  drop: string[];
}

/** setuptools or numpy.distutils: `setup.py build ARGS install`. */
export interface SetupPyBuild {
  system: "setup.py";
  /** Arguments after `setup.py build`. */
  args: string[];
}

/**
 * A meson project (meson-python's pyproject builds): `meson setup` as a cross build for wasm32-wasi, then
 * compile and install. meson-python itself is not needed: vial makes the wheel of what meson installs.
 */
export interface MesonBuild {
  system: "meson";
  /** `-D` options for `meson setup`. */
  options: string[];
  /** What the build runs, from pip (wheels on the machine's indexes), pinned: meson, Cython. */
  tools: string[];
}
