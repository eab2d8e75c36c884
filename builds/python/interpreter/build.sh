#!/usr/bin/env bash
# Builds CPython 3.11 (libpython + stdlib) for wasm32-wasi from Debian's
# source package, using Debian's clang-16 and wasi-libc.
#
#   PY_TAR=... ZLIB_TAR=... build.sh OUT_DIR WORK_DIR
#
# PY_TAR and ZLIB_TAR are the verified upstream tarballs (interpreter.ts
# fetches them: builds/sources/).
# OUT_DIR receives: include/ (Python headers + pyconfig.h), lib/*.a (libpython,
# its bundled libraries, zlib), lib/python3.11/ (pure-Python stdlib with the
# WASI sysconfigdata), link-flags.txt (extra libraries for the final link) and
# manifest.json. Progress lines start with "==> ".
set -euo pipefail

OUT=${1:?usage: build.sh OUT_DIR WORK_DIR}
WORK=${2:?usage: build.sh OUT_DIR WORK_DIR}
# How to build (interpreter.ts passes its options; docs/python.md has what was measured).
PY_OPT=${PY_OPT:--O3}              # optimisation level for CPython's own C
PY_PYMALLOC=${PY_PYMALLOC:-yes}    # CPython's small-object allocator (configure's WASI default is off)
PY_COMPUTED_GOTOS=${PY_COMPUTED_GOTOS:-no}
PY_LTO=${PY_LTO:-no}               # no, thin or full: bitcode in the libraries, optimised at the final link
PY_VERSION=3.11.2
PY_TAR=${PY_TAR:?the CPython $PY_VERSION tarball}
ZLIB_TAR=${ZLIB_TAR:?the zlib tarball}
JOBS=$(nproc)
export SOURCE_DATE_EPOCH=1700000000 LC_ALL=C TZ=UTC DEBIAN_FRONTEND=noninteractive

step() { echo "==> $*"; }

mkdir -p "$WORK" "$OUT"
WORK=$(cd "$WORK" && pwd)
OUT=$(cd "$OUT" && pwd)

# --- toolchain -------------------------------------------------------------
step "toolchain (apt)"
NEED=""
for p in clang-16 lld-16 llvm-16 wasi-libc libclang-rt-16-dev-wasm32 wabt python3.11; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || NEED="$NEED $p"
done
if [ -n "$NEED" ]; then
  # Other builds (a native package's, a test's) may hold apt's lock: wait for it.
  apt-get -o DPkg::Lock::Timeout=600 update -q
  apt-get -o DPkg::Lock::Timeout=600 install -y -q --no-install-recommends $NEED
fi
BUILD_PY=/usr/bin/python3.11
"$BUILD_PY" -c "import sys; assert sys.version.startswith('$PY_VERSION'), sys.version" \
  || { echo "error: the build Python must be $PY_VERSION (Debian's python3.11)" >&2; exit 1; }

# --- sources -----------------------------------------------------------------
# Only the upstream tarballs: Debian's patch series targets Debian's own
# filesystem layout and multiarch paths, not a WASI build.
step "sources"
rm -rf "$WORK/src" && mkdir -p "$WORK/src"
tar -xf "$PY_TAR" -C "$WORK/src"
tar -xf "$ZLIB_TAR" -C "$WORK/src"
PYSRC=$(ls -d "$WORK"/src/Python-*)
ZSRC=$(ls -d "$WORK"/src/zlib-*)

# --- WASI-SDK-shaped folder --------------------------------------------------
# CPython's Tools/wasm/wasi-env expects a WASI SDK; these wrappers give it one
# made of Debian's clang-16 and wasi-libc.
step "wasi sdk wrappers"
SDK="$WORK/wasi-sdk"
rm -rf "$SDK" && mkdir -p "$SDK/bin" "$SDK/share/wasi-sysroot/include" "$SDK/share/wasi-sysroot/lib"
ln -s /usr/include/wasm32-wasi "$SDK/share/wasi-sysroot/include/wasm32-wasi"
ln -s /usr/lib/wasm32-wasi "$SDK/share/wasi-sysroot/lib/wasm32-wasi"
for t in clang:clang-16 clang++:clang++-16 clang-cpp:clang-cpp-16; do
  printf '#!/bin/sh\nexec /usr/bin/%s --target=wasm32-wasi "$@"\n' "${t#*:}" >"$SDK/bin/${t%%:*}"
done
for t in wasm-ld:wasm-ld-16 llvm-ar:llvm-ar-16 ranlib:llvm-ranlib-16 llvm-ranlib:llvm-ranlib-16 llvm-nm:llvm-nm-16; do
  ln -s "/usr/bin/${t#*:}" "$SDK/bin/${t%%:*}"
done
chmod +x "$SDK"/bin/*
SYSROOT="$SDK/share/wasi-sysroot"
WCC="$SDK/bin/clang --sysroot=$SYSROOT"

# --- zlib ------------------------------------------------------------------
step "zlib"
ZOUT="$WORK/zlib-install"
rm -rf "$ZOUT"
(cd "$ZSRC" && CC="$WCC" AR="$SDK/bin/llvm-ar" RANLIB="$SDK/bin/ranlib" CFLAGS="-O2 -ffile-prefix-map=$WORK=/vial-build" \
  CHOST=wasm32 ./configure --static --prefix="$ZOUT" >/dev/null && make -j"$JOBS" libz.a >/dev/null && make install >/dev/null)

# --- CPython ---------------------------------------------------------------
step "cpython configure"
B="$WORK/build-wasi"
rm -rf "$B" && mkdir -p "$B"
cd "$B"
# The prefix map and a relative source path (configure bakes it into getpath.o)
# keep build paths out of the objects: the output does not depend on WORK.
FEATURES=""
[ "$PY_PYMALLOC" = yes ] && FEATURES="$FEATURES --with-pymalloc"
[ "$PY_COMPUTED_GOTOS" = yes ] && FEATURES="$FEATURES --with-computed-gotos"
[ "$PY_LTO" != no ] && FEATURES="$FEATURES --with-lto=$PY_LTO"
# OPT replaces configure's "-DNDEBUG -g -fwrapv -O3 -Wall": no debug info, the
# final link strips it anyway.
CONFIG_SITE="$PYSRC/Tools/wasm/config.site-wasm32-wasi" WASI_SDK_PATH="$SDK" \
  OPT="-DNDEBUG -fwrapv $PY_OPT -Wall" CFLAGS="-ffile-prefix-map=$WORK=/vial-build" \
  ZLIB_CFLAGS="-I$ZOUT/include" ZLIB_LIBS="-L$ZOUT/lib -lz" \
  "$PYSRC/Tools/wasm/wasi-env" "$(realpath --relative-to="$B" "$PYSRC")/configure" -q \
    --host=wasm32-unknown-wasi --build="$("$PYSRC/config.guess")" \
    --with-build-python="$BUILD_PY" --disable-test-modules --without-ensurepip $FEATURES

step "cpython make"
# clang-16 turns int-conversion into an error (timemodule.c).
WASI_SDK_PATH="$SDK" "$PYSRC/Tools/wasm/wasi-env" \
  make -j"$JOBS" EXTRA_CFLAGS="-Wno-int-conversion" libpython3.11.a pybuilddir.txt >/dev/null

# --- collect -----------------------------------------------------------------
step "collect"
rm -rf "$OUT"/{include,lib,link-flags.txt,libraries.txt,manifest.json}
mkdir -p "$OUT/include" "$OUT/lib"
cp -r "$PYSRC/Include/." "$OUT/include/"
cp "$B/pyconfig.h" "$OUT/include/"
cp "$B/libpython3.11.a" "$ZOUT/lib/libz.a" "$OUT/lib/"
# Bundled third-party libraries that libpython's built-in modules need.
echo libpython3.11.a >"$OUT/libraries.txt"
for a in $(find "$B/Modules" -name '*.a' | sort); do cp "$a" "$OUT/lib/"; basename "$a" >>"$OUT/libraries.txt"; done
echo libz.a >>"$OUT/libraries.txt"
# Libraries the interpreter's own link used (minus libpython), e.g. the WASI
# emulation libraries.
LIBS=$(sed -n 's/^LIBS=[[:space:]]*//p' "$B/Makefile")
MODLIBS=$(sed -n 's/^MODLIBS=[[:space:]]*//p' "$B/Makefile")
echo "$LIBS" >"$OUT/link-flags.raw"
# Reduce module link flags to plain -l names; the .a files are copied above.
{ for f in $LIBS $MODLIBS; do case "$f" in -l*) echo "$f";; esac; done; } | awk '!seen[$0]++' >"$OUT/link-flags.txt"
rm -f "$OUT/link-flags.raw"

# Stdlib: pure-Python modules only (tests, idle, tkinter, ensurepip removed).
STD="$OUT/lib/python3.11"
mkdir -p "$STD"
(cd "$PYSRC/Lib" && tar --exclude='test' --exclude='tests' --exclude='idle_test' \
  --exclude='idlelib' --exclude='tkinter' --exclude='turtledemo' --exclude='ensurepip' \
  --exclude='lib2to3' --exclude='__pycache__' -cf - .) | tar -xf - -C "$STD"
BUILDDIR=$(cat "$B/pybuilddir.txt")
# sysconfigdata records build paths: rewrite them and re-format, so the file
# does not depend on WORK either (pprint's line wrapping follows path length).
for f in "$B/$BUILDDIR"/_sysconfigdata*.py; do
  "$BUILD_PY" - "$f" "$WORK" "$STD/$(basename "$f")" <<'PY'
import pprint, runpy, sys
src, work, dst = sys.argv[1:]
data = runpy.run_path(src)["build_time_vars"]
data = {k: v.replace(work, "/vial-build") if isinstance(v, str) else v for k, v in data.items()}
with open(dst, "w") as out:
    out.write("# system configuration generated and used by the sysconfig module\nbuild_time_vars = ")
    pprint.pprint(data, stream=out)
PY
done
cat >"$OUT/manifest.json" <<EOF
{"python": "$PY_VERSION", "source": "$(basename "$PY_TAR")", "zlib": "$(basename "$ZLIB_TAR")", "cc": "$(clang-16 --version | head -1)",
 "opt": "$PY_OPT", "pymalloc": "$PY_PYMALLOC", "computed_gotos": "$PY_COMPUTED_GOTOS", "lto": "$PY_LTO"}
EOF
step "done: $OUT"
