"""vial guest SDK for Python: declare feature transformations.

    from vial import transformation, Field, Int64, String

    @transformation(inputs=[Field("text", String)], outputs=[Field("n", Int64)])
    def length(request):
        return {"n": len(request["text"])}

Each decorated function is exported under its Python name. Inputs are one record
(a list of Fields) or several named ones (a dict of name -> list of Fields), each
then an argument of the function. Modes (docs/types.md): "row" (the default) gets
one row, "batch" the list of rows, "columns" a dict of columns, "pandas" a DataFrame.
"""
import inspect

from ._modes import MODES
from .codec import row_decoder, row_encoder
from .types import (
    Array, Bool, Bytes, Field, Float32, Float64, Int32, Int64, Map, NonFinite, Optional, String, Struct,
    Timestamp, Type, as_fields,
)

__all__ = [
    "transformation", "Field", "Type",
    "String", "Int64", "Int32", "Float64", "Float32", "Bool", "Bytes", "Timestamp",
    "Array", "Optional", "Map", "Struct", "NonFinite",
]

# name -> Transformation; filled as user modules are imported.
REGISTRY = {}


class Transformation:
    """A declared function, with its converters made once for every call."""

    def __init__(self, fn, inputs, outputs, mode):
        self.fn = fn
        self.name = fn.__name__
        self.mode = mode
        if isinstance(inputs, dict):
            # Named inputs: each one a struct field of the row, and an argument of the function.
            self.named = {name: _record_fields(name, record) for name, record in inputs.items()}
            self.inputs = [Field(name, Struct(fields)) for name, fields in self.named.items()]
        else:
            self.named = None
            self.inputs = as_fields(inputs, "inputs")
        self.outputs = as_fields(outputs, "outputs")
        self.decode_row = row_decoder(self.inputs)
        self.encode_row = row_encoder(self.outputs)
        self.by_keyword = self.named is not None and _takes_keywords(fn, self.named)
        _check_arguments(fn, self.named, self.by_keyword)

    def call(self, args):
        """Calls the function with what one row, or one batch in columns, holds: the record
        itself, or (named inputs) one argument per input, by name when the function's
        parameters carry the inputs' names, else in the order they were declared."""
        if self.named is None:
            return self.fn(args)
        if self.by_keyword:
            return self.fn(**args)
        return self.fn(*args.values())

    def describe(self):
        return {
            "name": self.name,
            "mode": self.mode,
            "inputs": [f.to_json() for f in self.inputs],
            "outputs": [f.to_json() for f in self.outputs],
        }


def _record_fields(name, record):
    if isinstance(record, Struct):
        return record.fields
    return as_fields(record, f"input {name!r}")


def _takes_keywords(fn, names):
    try:
        params = inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return False
    if any(p.kind is p.VAR_KEYWORD for p in params.values()):
        return True
    return all(n in params and params[n].kind in (params[n].POSITIONAL_OR_KEYWORD, params[n].KEYWORD_ONLY) for n in names)


def _check_arguments(fn, named, by_keyword):
    """A function that cannot take the arguments its inputs make fails where it is declared."""
    try:
        signature = inspect.signature(fn)
    except (TypeError, ValueError):
        return  # no signature to read (a builtin): found out at its first call
    try:
        if named is None:
            signature.bind(None)
        elif by_keyword:
            signature.bind(**dict.fromkeys(named))
        else:
            signature.bind(*named)
    except TypeError:
        wanted = "one argument" if named is None else f"one argument per named input ({', '.join(named)}), by those names or in that order"
        raise TypeError(f"{fn.__name__} must take {wanted}") from None


def transformation(inputs, outputs, mode="row"):
    if mode not in MODES:
        raise ValueError(f"mode must be one of {', '.join(repr(m) for m in MODES)}, got {mode!r}")

    def register(fn):
        if fn.__name__ in REGISTRY:
            raise ValueError(f"transformation {fn.__name__!r} is defined twice")
        REGISTRY[fn.__name__] = Transformation(fn, inputs, outputs, mode)
        return fn

    return register
