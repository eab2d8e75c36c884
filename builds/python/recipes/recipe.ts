/**
 * What vial needs to know to build one native package for the WASI
 * interpreter. The package's own setup.py does the building (see
 * native/cross-build.sh); a recipe only says how to call it and what the
 * sandbox can do without. A package with C extensions and no recipe is refused.
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
  /** Debian packages the build needs besides the WASI toolchain (code generators, Cython). */
  apt: string[];
  /** Applied to the unpacked source with `patch -p1`, in order. */
  patches: string[];
  /** Compiler flags for every C and C++ file. */
  cflags: string[];
  /** Arguments after `setup.py build`. */
  setupArgs: string[];
  /** Variables the package's setup.py reads. */
  env: Record<string, string>;
  /** Subpackages left out of the installed files (build tools, useless in a sandbox). */
  drop: string[];
}
