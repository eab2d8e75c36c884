#!/usr/bin/env bash
# Builds a Python package's C extensions for the wasm32-wasi interpreter with
# the package's own setup.py, cross-compiling with Debian's clang-16.
#
#   cross-build.sh SDIST OUT INTERPRETER_DIR WORK_DIR
#
# The recipe speaks through the environment: VIAL_NAME, VIAL_VERSION,
# VIAL_APT (Debian packages the build needs), VIAL_PATCHES (files for
# `patch -p1`), VIAL_CFLAGS, VIAL_SETUP_ARGS, VIAL_DROP (subpackages left out),
# plus any variable the package's setup.py reads. OUT receives what collect.py
# writes. Progress lines start with "==> ".
set -euo pipefail

SDIST=${1:?usage: cross-build.sh SDIST OUT INTERPRETER_DIR WORK_DIR}
OUT=${2:?} INTERP=${3:?} WORK=${4:?}
HERE=$(cd "$(dirname "$0")" && pwd)
JOBS=$(nproc)
export SOURCE_DATE_EPOCH=1700000000 LC_ALL=C TZ=UTC DEBIAN_FRONTEND=noninteractive PYTHONNOUSERSITE=1
step() { echo "==> $*"; }

step "toolchain (apt)"
NEED=""
for p in clang-16 lld-16 llvm-16 wasi-libc libclang-rt-16-dev-wasm32 libc++-16-dev-wasm32 libc++abi-16-dev-wasm32 python3.11 python3-setuptools patch ${VIAL_APT:-}; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || NEED="$NEED $p"
done
if [ -n "$NEED" ]; then
  # Other builds (the interpreter's, a test's) may hold apt's lock: wait for it.
  apt-get -o DPkg::Lock::Timeout=600 update -q
  apt-get -o DPkg::Lock::Timeout=600 install -y -q --no-install-recommends $NEED
fi

step "sources: $(basename "$SDIST")"
rm -rf "$WORK" && mkdir -p "$WORK/src" "$WORK/bin" "$WORK/sysconfig" "$OUT"
tar -xf "$SDIST" -C "$WORK/src"
SRC=$(find "$WORK/src" -mindepth 1 -maxdepth 1 -type d | head -1)
for p in ${VIAL_PATCHES:-}; do (cd "$SRC" && patch -p1 -s <"$p"); done

# Compilers for the target: the interpreter's headers come first, so its
# pyconfig.h wins over any the build Python would add. C++ has no exceptions
# in this WASI toolchain; CPython's headers use C's `restrict`.
cat >"$WORK/bin/cc" <<SH
#!/bin/sh
exec clang-16 --target=wasm32-wasi -I$INTERP/include "\$@"
SH
cat >"$WORK/bin/cxx" <<SH
#!/bin/sh
exec clang++-16 --target=wasm32-wasi -fno-exceptions -nostdinc++ -isystem /usr/lib/llvm-16/include/wasm32-wasi/c++/v1 -Drestrict=__restrict -I$INTERP/include "\$@"
SH
chmod +x "$WORK/bin/cc" "$WORK/bin/cxx"
# The build Python (Debian's 3.11, the same version) reads the target's sysconfig.
cp "$INTERP"/lib/python3.11/_sysconfigdata__wasi_wasm32-wasi.py "$WORK/sysconfig/"

step "build (setup.py, $JOBS jobs)"
LOG="$WORK/build.log"
set +e
(
  cd "$SRC"
  export CC="$WORK/bin/cc" CXX="$WORK/bin/cxx" LDSHARED="$HERE/ldshared.sh" AR=llvm-ar-16 RANLIB=llvm-ranlib-16
  export CFLAGS="-O2 -g0 ${VIAL_CFLAGS:-}" CXXFLAGS="-O2 -g0 ${VIAL_CFLAGS:-}" LDFLAGS=""
  export _PYTHON_SYSCONFIGDATA_NAME=_sysconfigdata__wasi_wasm32-wasi _PYTHON_HOST_PLATFORM=wasi-wasm32 PYTHONPATH="$WORK/sysconfig"
  /usr/bin/python3.11 setup.py build -j"$JOBS" ${VIAL_SETUP_ARGS:-}
) >"$LOG" 2>&1 &
BUILD=$!
# One progress line per 25 compiled sources while the build runs.
tail -n +1 -f "$LOG" --pid=$BUILD | awk '/^INFO: (cc|cxx|c\+\+): /{ if (++n % 25 == 0) { print "==> compiled " n " sources"; fflush() } }'
wait $BUILD
STATUS=$?
set -e
if [ $STATUS -ne 0 ]; then
  grep -E "error:|Error" "$LOG" | head -20 >&2
  tail -20 "$LOG" >&2
  exit $STATUS
fi

step "collect"
/usr/bin/python3.11 "$HERE/collect.py" "$(ls -d "$SRC"/build/lib.*)" "$OUT" "$VIAL_NAME" "$VIAL_VERSION" ${VIAL_DROP:-}
step "done: $(ls "$OUT"/ext | wc -l) extension modules"
