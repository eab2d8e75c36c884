"""numpy as a package compiled against it sees it during a cross build.

The build Python cannot import the target's numpy (its compiled modules are
wasm32), so this takes the place of numpy/__init__.py there: what a build asks
of numpy is where the target's headers are.
"""
import os


def get_include():
    return os.path.join(os.path.dirname(__file__), "core", "include")
