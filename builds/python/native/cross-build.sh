#!/usr/bin/env bash
# Builds a Python package's C extensions for the wasm32-wasi interpreter with
# the package's own build (setup.py or meson), cross-compiling with Debian's
# clang-16, and sorts what it installs with collect.py.
#
#   cross-build.sh SDIST OUT INTERPRETER_DIR WORK_DIR
#
# The recipe speaks through the environment: VIAL_NAME, VIAL_VERSION,
# VIAL_APT (Debian packages the build needs), VIAL_SYSTEM (setup.py or meson:
# the script build-$VIAL_SYSTEM.sh beside this one), VIAL_BUILD_ARGS (its
# arguments), VIAL_TOOLS (pip requirements the build runs), VIAL_SDIST_FILES
# (a folder copied into the source where files are missing), VIAL_PATCHES
# (files for `patch -p1`), VIAL_CFLAGS, VIAL_DEPS (packages it is compiled
# against, PACKAGE:WHEEL[:INIT] each), VIAL_DROP (subpackages left out), plus
# any variable the package's build reads. OUT receives what collect.py writes.
# Progress lines start with "==> ".
set -euo pipefail

SDIST=${1:?usage: cross-build.sh SDIST OUT INTERPRETER_DIR WORK_DIR}
OUT=${2:?} INTERP=${3:?} WORK=${4:?}
HERE=$(cd "$(dirname "$0")" && pwd)
export JOBS=$(nproc)
export SOURCE_DATE_EPOCH=1700000000 LC_ALL=C TZ=UTC DEBIAN_FRONTEND=noninteractive PYTHONNOUSERSITE=1
step() { echo "==> $*"; }

step "toolchain (apt)"
NEED=""
for p in clang-16 lld-16 llvm-16 wasi-libc libclang-rt-16-dev-wasm32 libc++-16-dev-wasm32 libc++abi-16-dev-wasm32 python3.11 python3-setuptools python3-pip patch ${VIAL_APT:-}; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || NEED="$NEED $p"
done
if [ -n "$NEED" ]; then
  # Other builds (the interpreter's, a test's) may hold apt's lock: wait for it.
  apt-get -o DPkg::Lock::Timeout=600 update -q
  apt-get -o DPkg::Lock::Timeout=600 install -y -q --no-install-recommends $NEED
fi

step "sources: $(basename "$SDIST")"
rm -rf "$WORK" && mkdir -p "$WORK/src" "$WORK/bin" "$WORK/sysconfig" "$WORK/deps" "$WORK/site" "$OUT"
tar -xf "$SDIST" -C "$WORK/src"
SRC=$(find "$WORK/src" -mindepth 1 -maxdepth 1 -type d | head -1)
[ -z "${VIAL_SDIST_FILES:-}" ] || cp -rn "$VIAL_SDIST_FILES"/. "$SRC"/
for p in ${VIAL_PATCHES:-}; do (cd "$SRC" && patch -p1 -s <"$p"); done

# Compilers for the target: the interpreter's headers come first, so its
# pyconfig.h wins over any the build Python would add. C++ has no exceptions
# in this WASI toolchain; CPython's headers use C's `restrict`. A link with
# -shared makes an extension module: ldshared.sh makes it one object.
for tool in cc cxx; do
  case $tool in
    cc) compiler="clang-16 --target=wasm32-wasi" ;;
    cxx) compiler="clang++-16 --target=wasm32-wasi -fno-exceptions -nostdinc++ -isystem /usr/lib/llvm-16/include/wasm32-wasi/c++/v1 -Drestrict=__restrict" ;;
  esac
  cat >"$WORK/bin/$tool" <<SH
#!/bin/sh
case " \$* " in *" -c "*|*" -E "*) ;; *" -shared "*) exec "$HERE/ldshared.sh" "\$@" ;; esac
exec $compiler -I$INTERP/include "\$@"
SH
  chmod +x "$WORK/bin/$tool"
done
# The build Python (Debian's 3.11, the same version) reads the target's sysconfig.
cp "$INTERP"/lib/python3.11/_sysconfigdata__wasi_wasm32-wasi.py "$WORK/sysconfig/"

# Packages this one is compiled against, as the build Python sees them: their
# installed files (headers, Cython declarations), with a stand-in for an
# __init__.py whose compiled modules only the target can load.
for dep in ${VIAL_DEPS:-}; do
  IFS=: read -r package wheel init <<<"$dep"
  step "compiled against $(basename "$wheel")"
  /usr/bin/python3.11 -m zipfile -e "$wheel" "$WORK/deps"
  [ -z "$init" ] || cp "$init" "$WORK/deps/$package/__init__.py"
done

if [ -n "${VIAL_TOOLS:-}" ]; then
  step "build tools (pip): $VIAL_TOOLS"
  /usr/bin/python3.11 -m pip install --quiet --disable-pip-version-check --root-user-action=ignore --no-compile --target "$WORK/tools" $VIAL_TOOLS
fi

step "build ($VIAL_SYSTEM, $JOBS jobs)"
LOG="$WORK/build.log"
set +e
(
  export CC="$WORK/bin/cc" CXX="$WORK/bin/cxx" AR=llvm-ar-16 RANLIB=llvm-ranlib-16
  export _PYTHON_SYSCONFIGDATA_NAME=_sysconfigdata__wasi_wasm32-wasi _PYTHON_HOST_PLATFORM=wasi-wasm32
  export PYTHONPATH="$WORK/deps:$WORK/sysconfig:$WORK/tools" PATH="$WORK/tools/bin:$PATH"
  bash "$HERE/build-$VIAL_SYSTEM.sh" "$SRC" "$WORK" "$WORK/site"
) >"$LOG" 2>&1 &
BUILD=$!
# One progress line per 25 compiled sources while the build runs (setup.py's and ninja's lines).
tail -n +1 -f "$LOG" --pid=$BUILD | awk '/^INFO: (cc|cxx|c\+\+): |^\[[0-9]+\/[0-9]+\] Compiling /{ if (++n % 25 == 0) { print "==> compiled " n " sources"; fflush() } }'
wait $BUILD
STATUS=$?
set -e
if [ $STATUS -ne 0 ]; then
  grep -E "error:|Error" "$LOG" | head -20 >&2
  tail -20 "$LOG" >&2
  exit $STATUS
fi

step "collect"
/usr/bin/python3.11 "$HERE/collect.py" "$WORK/site" "$SRC" "$OUT" "$VIAL_NAME" "$VIAL_VERSION" ${VIAL_DROP:-}
step "done: $(ls "$OUT"/ext | wc -l) extension modules"
