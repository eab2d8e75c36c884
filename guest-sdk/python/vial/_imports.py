"""At snapshot time: every import the user module makes, inside function bodies
too, and every package a function's mode needs (pandas for mode="pandas"), must
resolve in the environment, or the deploy fails naming it. A handler that
imports a package its requirements lack would otherwise deploy fine and fail
every row at serve time."""
import ast
import importlib.util
import sys

# Import names whose distribution is called otherwise, for the message.
_DISTRIBUTIONS = {
    "sklearn": "scikit-learn", "yaml": "PyYAML", "PIL": "Pillow", "cv2": "opencv-python",
    "dateutil": "python-dateutil", "bs4": "beautifulsoup4", "Levenshtein": "python-Levenshtein",
}
_OPTIONAL = ("ImportError", "ModuleNotFoundError", "Exception", "BaseException")


class MissingImports(Exception):
    pass


def _guarded(handlers):
    """Whether a try's handlers catch a failed import (the import is optional)."""
    for handler in handlers:
        caught = handler.type
        names = caught.elts if isinstance(caught, ast.Tuple) else [caught]
        if caught is None or any(isinstance(n, ast.Name) and n.id in _OPTIONAL for n in names):
            return True
    return False


def _imports(tree):
    """(dotted name, line) of every absolute import outside an optional-import try."""
    found = []

    def visit(node, optional):
        if isinstance(node, ast.Try):
            inner = optional or _guarded(node.handlers)
            for child in node.body:
                visit(child, inner)
            for child in node.handlers + node.orelse + node.finalbody:
                visit(child, optional)
            return
        if not optional:
            if isinstance(node, ast.Import):
                found.extend((alias.name, node.lineno) for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                found.append((node.module, node.lineno))
        for child in ast.iter_child_nodes(node):
            visit(child, optional)

    visit(tree, False)
    return found


def _resolves(name):
    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):
        return False


def check_imports(module_name):
    """Raises MissingImports naming each import of the module that does not resolve here."""
    path = getattr(sys.modules[module_name], "__file__", None)
    if not path:
        return
    with open(path, encoding="utf-8") as f:
        tree = ast.parse(f.read(), path)
    missing = {}
    for name, line in _imports(tree):
        top = name.split(".")[0]
        if top not in missing and not _resolves(name):
            missing[top] = line
    if missing:
        said = ", ".join(f"'{top}' (line {line})" for top, line in sorted(missing.items(), key=lambda m: m[1]))
        wanted = ", ".join(_DISTRIBUTIONS.get(top, top) for top in sorted(missing))
        raise MissingImports(
            f"{module_name} imports {said}, which this environment does not have: "
            f"add {wanted} to its requirements and run 'vial env create' again"
        )


# What a mode needs in the environment besides the SDK.
_MODE_NEEDS = {"pandas": "pandas"}


def check_mode_imports(transformations):
    """Raises MissingImports when a function's mode needs a package the environment lacks."""
    for mode, package in _MODE_NEEDS.items():
        users = [t.name for t in transformations if t.mode == mode]
        if users and not _resolves(package):
            raise MissingImports(
                f"{', '.join(users)} declare{'s' if len(users) == 1 else ''} mode={mode!r}, which needs {package}, "
                f"and this environment does not have it: add {package} to its requirements and run 'vial env create' again"
            )
