"""Sorts what a cross build installed into what vial links and installs.

    collect.py SITE SRC OUT NAME VERSION [DROP...]

SITE is the package as its build installed it, SRC its source tree.

OUT/ext/<module>.o    one object per extension module (see ldshared.sh)
OUT/modules.json      [{"module", "init", "object"}]: the interpreter's inittab entries
OUT/<wheel>           the rest (Python, headers, Cython declarations) as a wheel pip can
                      install, with the dependencies SRC's pyproject.toml declares; DROP
                      names subpackages left out (build tools with no use in a sandbox)
"""
import base64
import hashlib
import json
import os
import sys
import tomllib
import zipfile

EXT = ".cpython-311-wasm32-wasi.so"


def record_line(arcname, data):
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"{arcname},sha256={digest},{len(data)}"


def main(site, src, out, name, version, *drop):
    os.makedirs(os.path.join(out, "ext"), exist_ok=True)
    modules, files = [], []
    for root, dirs, names in os.walk(site):
        # The build's own metadata: the wheel gets vial's.
        dirs[:] = sorted(d for d in dirs if d != "__pycache__" and not d.endswith((".egg-info", ".dist-info")))
        rel_root = os.path.relpath(root, site)
        if any(rel_root == d or rel_root.startswith(d + os.sep) for d in drop):
            continue
        for n in sorted(names):
            path = os.path.join(root, n)
            rel = os.path.normpath(os.path.join(rel_root, n))
            if n.endswith(EXT):
                module = rel[: -len(EXT)].replace(os.sep, ".")
                obj = os.path.join("ext", module + ".o")
                os.replace(path, os.path.join(out, obj))
                modules.append({"module": module, "init": "PyInit_" + module.rsplit(".", 1)[-1], "object": obj})
            elif not n.endswith(".pyc"):
                files.append((rel, path))
    with open(os.path.join(out, "modules.json"), "w") as f:
        json.dump(modules, f, indent=1)
    write_wheel(out, name, version, files, requirements(src))


def requirements(src):
    """What the package says it needs at run time (pyproject's [project] table), as Requires-Dist lines."""
    path = os.path.join(src, "pyproject.toml")
    if not os.path.exists(path):
        return []
    with open(path, "rb") as f:
        return tomllib.load(f).get("project", {}).get("dependencies", [])


def write_wheel(out, name, version, files, requires):
    dist = f"{name.replace('-', '_')}-{version}"
    wheel = os.path.join(out, f"{dist}-py3-none-any.whl")
    meta = {
        "METADATA": f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n" + "".join(f"Requires-Dist: {r}\n" for r in requires),
        # The compiled part is linked into the interpreter; what pip installs is pure Python.
        "WHEEL": "Wheel-Version: 1.0\nGenerator: vial\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
    }
    records = []
    with zipfile.ZipFile(wheel, "w", zipfile.ZIP_DEFLATED) as z:
        for rel, path in files:
            data = open(path, "rb").read()
            z.writestr(zipfile.ZipInfo(rel, (2023, 1, 1, 0, 0, 0)), data, zipfile.ZIP_DEFLATED)
            records.append(record_line(rel, data))
        for fname, text in meta.items():
            arc = f"{dist}.dist-info/{fname}"
            z.writestr(zipfile.ZipInfo(arc, (2023, 1, 1, 0, 0, 0)), text)
            records.append(record_line(arc, text.encode()))
        records.append(f"{dist}.dist-info/RECORD,,")
        z.writestr(zipfile.ZipInfo(f"{dist}.dist-info/RECORD", (2023, 1, 1, 0, 0, 0)), "\n".join(records) + "\n")


if __name__ == "__main__":
    main(*sys.argv[1:])
