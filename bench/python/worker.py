"""A long-lived CPython worker: the architecture vial replaces.

Imports one transformation module (through the same dispatcher the guest
runs) and answers requests on stdin, one per line, tab-separated:

    call <TAB> function <TAB> batch JSON      ->  1 <TAB> envelope JSON
                                                  0 <TAB> message (JSON string)
    time <TAB> function <TAB> batch JSON <TAB> milliseconds
                                              ->  1 <TAB> [ms per call, ...]
                                                  (calls back to back for that long, timed here)

JSON text has no raw tabs or newlines, so neither needs escaping.
argv: the SDK directory, the module's path.
"""
import sys

# As in testing/python.ts: pure-Python difflib, as in the sandbox,
# not the python3-levenshtein C extension.
sys.modules["Levenshtein"] = None

import importlib
import json
import os
import time

sdk, module_path = sys.argv[1], sys.argv[2]
sys.path[:0] = [sdk, os.path.dirname(module_path)]
importlib.import_module(os.path.splitext(os.path.basename(module_path))[0])
import vial._runtime as rt  # noqa: E402


def main():
    out = sys.stdout
    out.write("ready\n")
    out.flush()
    for line in sys.stdin:
        parts = line.rstrip("\n").split("\t")
        if parts[0] == "call":
            ok, text = rt.call(parts[1], parts[2])
            out.write(f"1\t{text}\n" if ok else f"0\t{json.dumps(text)}\n")
        elif parts[0] == "time":
            fn, batch, until = parts[1], parts[2], time.perf_counter() + float(parts[3]) / 1000
            times = []
            while True:
                t = time.perf_counter()
                rt.call(fn, batch)
                now = time.perf_counter()
                times.append((now - t) * 1000)
                if now >= until:
                    break
            out.write(f"1\t{json.dumps(times)}\n")
        else:
            out.write(f"0\t{json.dumps('unknown command ' + parts[0])}\n")
        out.flush()


main()
