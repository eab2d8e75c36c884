#!/usr/bin/env bash
# A meson project (what meson-python builds): `meson setup` as a cross build
# for wasm32-wasi, compile, install into SITE. Run by cross-build.sh, which
# sets the compilers, the target's sysconfig and the build tools' path.
#
#   build-meson.sh SRC WORK SITE
set -euo pipefail
SRC=${1:?} WORK=${2:?} SITE=${3:?}

# Python lists as meson writes them: ['-O2', '-g0'].
list() { printf "'%s', " "$@" | sed 's/, $//'; }
cat >"$WORK/cross.ini" <<INI
[binaries]
c = '$CC'
cpp = '$CXX'
ar = '$AR'
strip = 'llvm-strip-16'
python = '/usr/bin/python3.11'
cython = '$(command -v cython)'

[host_machine]
system = 'wasi'
cpu_family = 'wasm32'
cpu = 'wasm32'
endian = 'little'

[properties]
needs_exe_wrapper = true

[built-in options]
c_args = [$(list -O2 -g0 ${VIAL_CFLAGS:-})]
cpp_args = [$(list -O2 -g0 ${VIAL_CFLAGS:-})]
INI
# Cython runs on the build machine: the same one from the tools, whichever machine meson asks for.
cat >"$WORK/native.ini" <<INI
[binaries]
cython = '$(command -v cython)'
INI

meson setup "$WORK/build" "$SRC" --cross-file "$WORK/cross.ini" --native-file "$WORK/native.ini" \
  --prefix="$WORK/prefix" -Dpython.platlibdir="$SITE" -Dpython.purelibdir="$SITE" ${VIAL_BUILD_ARGS:-}
meson compile -C "$WORK/build" -j "$JOBS"
meson install -C "$WORK/build" --no-rebuild --quiet
