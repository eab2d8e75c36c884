"""The dispatcher the C glue calls: describe / reseed / call over JSON text.

Kept free of C-API details: the glue only passes strings/bytes in and gets
(ok, text) tuples back.
"""
import contextlib
import io
import json
import random
import sys
import warnings
from importlib.machinery import BuiltinImporter, ModuleSpec

from . import REGISTRY
from ._imports import MissingImports, check_imports, check_mode_imports
from ._modes import BatchFailure, prepare, run
from ._time_zones import load_time_zones


def describe():
    return json.dumps({"functions": [t.describe() for t in REGISTRY.values()]})


def reseed(entropy):
    # The snapshot froze the `random` module's state (and numpy's global
    # generator, if loaded); every instance gets its own.
    random.seed(bytes(entropy))
    np_random = sys.modules.get("numpy.random")
    if np_random is not None:
        np_random.seed([int.from_bytes(entropy[i:i + 4], "little") for i in range(0, len(entropy), 4)])


MAX_LOG_LINES = 100
MAX_LOG_LINE = 1000


class _LogCapture(io.TextIOBase):
    """What a handler prints: kept (bounded) and handed back with the batch
    for the host's logs, as the JS guest does with console output."""

    def __init__(self, stream, lines):
        self._stream, self._lines, self._partial = stream, lines, ""

    def writable(self):
        return True

    def write(self, text):
        *complete, self._partial = (self._partial + text).split("\n")
        for line in complete:
            self._keep(line)
        if len(self._partial) > MAX_LOG_LINE:
            self.end()
        return len(text)

    def end(self):
        if self._partial:
            self._keep(self._partial)
            self._partial = ""

    def _keep(self, line):
        if len(self._lines) < MAX_LOG_LINES:
            self._lines.append(f"{self._stream}: {line[:MAX_LOG_LINE]}")


def call(name, batch_text):
    """Returns (True, result_json) or (False, message) for a whole-batch failure."""
    logs = []
    out, err = _LogCapture("stdout", logs), _LogCapture("stderr", logs)
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        ok, result = _call(name, batch_text)
    out.end()
    err.end()
    if not ok:
        return False, result
    if logs:
        result["logs"] = logs
    return True, json.dumps(result)


def _call(name, batch_text):
    t = REGISTRY.get(name)
    if t is None:
        return False, f"unknown function {name!r}"
    try:
        batch = json.loads(batch_text)
    except ValueError as e:
        return False, f"malformed batch JSON: {e}"
    if not isinstance(batch, list):
        return False, "batch must be a JSON array of rows"
    try:
        rows, errors = run(t, batch)
    except BatchFailure as e:
        return False, str(e)
    return True, {"rows": rows, "errors": errors}


# Stdlib modules handlers commonly import lazily; importing them at snapshot
# time means they need no files at run time.
WARM_STDLIB = [
    "base64", "bisect", "calendar", "collections", "copy", "csv", "dataclasses",
    "datetime", "decimal", "difflib", "enum", "fractions", "functools", "hashlib",
    "heapq", "html", "itertools", "math", "operator", "re", "statistics", "string",
    "struct", "textwrap", "typing", "unicodedata", "urllib.parse", "uuid", "zlib",
    "contextlib", "logging", "threading", "time", "warnings", "weakref",
    "encodings.ascii", "encodings.latin_1", "encodings.utf_16", "encodings.cp1252",
]


def boot(module_name, site_dirs=()):
    """Runs at snapshot time: import the user module, every module of its
    dependencies and a warm stdlib set, so nothing needs files at run time."""
    import importlib
    import pkgutil

    sys.meta_path.insert(0, _BuiltinSubmoduleFinder)
    importlib.import_module(module_name)
    if not REGISTRY:
        raise RuntimeError(f"module {module_name} defines no @transformation")
    try:
        check_imports(module_name)
        check_mode_imports(REGISTRY.values())
    except MissingImports as missing:
        # One line the builder reports as the deploy's error (builds/python/componentize.ts).
        print(f"vial-error: {missing}", file=sys.stderr, flush=True)
        raise
    for t in REGISTRY.values():
        prepare(t)
    for name in WARM_STDLIB:
        _try_import(name)
    with warnings.catch_warnings():
        # Warm-up imports of whole packages (numpy.array_api warns that it
        # is experimental); what the user module imports still warns.
        warnings.simplefilter("ignore")
        for info in pkgutil.walk_packages(list(site_dirs), onerror=lambda _n: None):
            if {"test", "tests"} & set(info.name.split(".")):
                continue
            _try_import(info.name)
    load_time_zones()
    _seal_imports()
    _forget_build_time()
    # Output printed at import time belongs to the build log, not to the
    # first caller of the snapshot.
    sys.stdout.flush()
    sys.stderr.flush()


def _forget_build_time():
    # A module that read the clock when imported read the build machine's
    # (the snapshot is taken at build): it gets the guest's fixed clock, the
    # Unix epoch, like everything read at run time.
    logging = sys.modules.get("logging")
    if logging is not None:
        logging._startTime = 0.0


class _BuiltinSubmoduleFinder:
    """Finds extension modules linked into the interpreter under dotted names
    (numpy.core._multiarray_umath): the stock BuiltinImporter answers only
    top-level names."""

    @classmethod
    def find_spec(cls, name, path=None, target=None):
        if "." in name and name in sys.builtin_module_names:
            return ModuleSpec(name, BuiltinImporter, origin="built-in")
        return None


def _seal_imports():
    # There are no files at run time: searching sys.path would only fail with
    # confusing OSErrors (bad file descriptor), so drop the path-based finder.
    # A module absent from the snapshot is then a plain ModuleNotFoundError
    # (and importlib.util.find_spec returns None, as libraries probing for
    # optional dependencies expect).
    from importlib.machinery import PathFinder

    sys.meta_path[:] = [f for f in sys.meta_path if f is not PathFinder]
    sys.path_importer_cache.clear()


def _try_import(name):
    import importlib
    try:
        importlib.import_module(name)
    except BaseException:  # noqa: BLE001 - warm-up only; a real import error surfaces at call time
        pass
