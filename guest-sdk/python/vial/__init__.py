"""vial guest SDK for Python: declare feature transformations.

    from vial import transformation, Field, Int64, String

    @transformation(inputs=[Field("text", String)], outputs=[Field("n", Int64)])
    def length(request):
        return {"n": len(request["text"])}

Each decorated function is exported under its Python name. mode="row" (the
default) receives one dict per row; mode="batch" receives and returns a list
of dicts.
"""
from .types import Array, Bool, Bytes, Field, Float64, Int64, Optional, String, Type

__all__ = [
    "transformation", "Field", "Type",
    "String", "Int64", "Float64", "Bool", "Bytes", "Array", "Optional",
]

# name -> Transformation; filled as user modules are imported.
REGISTRY = {}


class Transformation:
    def __init__(self, fn, inputs, outputs, mode):
        self.fn = fn
        self.name = fn.__name__
        self.inputs = list(inputs)
        self.outputs = list(outputs)
        self.mode = mode

    def describe(self):
        return {
            "name": self.name,
            "mode": self.mode,
            "inputs": [f.to_json() for f in self.inputs],
            "outputs": [f.to_json() for f in self.outputs],
        }


def transformation(inputs, outputs, mode="row"):
    if mode not in ("row", "batch"):
        raise ValueError(f"mode must be 'row' or 'batch', got {mode!r}")
    for f in list(inputs) + list(outputs):
        if not isinstance(f, Field):
            raise TypeError(f"inputs/outputs must be Field objects, got {f!r}")

    def register(fn):
        if fn.__name__ in REGISTRY:
            raise ValueError(f"transformation {fn.__name__!r} is defined twice")
        REGISTRY[fn.__name__] = Transformation(fn, inputs, outputs, mode)
        return fn

    return register
