#!/usr/bin/env bash
# A setuptools or numpy.distutils package: `setup.py build`, then its install
# into SITE, the files as pip would install them (C headers and Cython
# declarations too, for packages compiled against this one). Run by
# cross-build.sh, which sets the compilers and the target's sysconfig.
#
#   build-setup.py.sh SRC WORK SITE
set -euo pipefail
SRC=${1:?} WORK=${2:?} SITE=${3:?}
HERE=$(cd "$(dirname "$0")" && pwd)
cd "$SRC"
export LDSHARED="$HERE/ldshared.sh" CFLAGS="-O2 -g0 ${VIAL_CFLAGS:-}" CXXFLAGS="-O2 -g0 ${VIAL_CFLAGS:-}" LDFLAGS=""
# Scripts, headers outside the package and data files have no use in the sandbox.
/usr/bin/python3.11 setup.py build -j"$JOBS" ${VIAL_BUILD_ARGS:-} \
  install --no-compile --single-version-externally-managed --record="$WORK/installed.txt" --install-lib="$SITE" \
  --install-scripts="$WORK/unused/bin" --install-headers="$WORK/unused/include" --install-data="$WORK/unused/data"
