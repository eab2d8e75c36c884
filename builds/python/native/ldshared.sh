#!/bin/sh
# LDSHARED for a static interpreter: an extension's "shared library" becomes one
# relocatable object (its objects and the static libraries it names) whose
# internals are made local, as a shared library's would be. System libraries
# (-lm, libc++) are left to the interpreter's final link.
set -e
here=$(dirname "$0")
out=""; inputs=""; dirs=""; libs=""
while [ $# -gt 0 ]; do
  case "$1" in
    -o) out="$2"; shift;;
    -L*) dirs="$dirs ${1#-L}";;
    -l*) libs="$libs ${1#-l}";;
    *.o|*.a) inputs="$inputs $1";;
  esac
  shift
done
for l in $libs; do
  for d in $dirs; do
    if [ -f "$d/lib$l.a" ]; then inputs="$inputs $d/lib$l.a"; break; fi
  done
done
wasm-ld-16 -r -o "$out" $inputs
/usr/bin/python3.11 "$here/localize.py" "$out"
