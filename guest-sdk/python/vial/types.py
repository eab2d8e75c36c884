"""Schema types shared with the JS SDK: each renders to the same JSON shape
(runtime/schema.ts), and docs/types.md says what each holds."""


class Type:
    def to_json(self):
        raise NotImplementedError

    def __repr__(self):
        return f"vial type {self.to_json()!r}"


class _Scalar(Type):
    def __init__(self, name):
        self.name = name

    def to_json(self):
        return self.name

    def __repr__(self):
        return self.name


String = _Scalar("string")
Int64 = _Scalar("int64")
Int32 = _Scalar("int32")
Float64 = _Scalar("float64")
Float32 = _Scalar("float32")
Bool = _Scalar("bool")
Bytes = _Scalar("bytes")
Timestamp = _Scalar("timestamp")


class Array(Type):
    def __init__(self, item):
        self.item = as_type(item)

    def to_json(self):
        return {"array": self.item.to_json()}


class Optional(Type):
    def __init__(self, item):
        self.item = as_type(item)

    def to_json(self):
        return {"optional": self.item.to_json()}


class Map(Type):
    """A dict with string keys, every value of one type."""

    def __init__(self, item):
        self.item = as_type(item)

    def to_json(self):
        return {"map": self.item.to_json()}


class Struct(Type):
    """A nested record: a dict with the declared fields."""

    def __init__(self, fields):
        self.fields = as_fields(fields, "Struct")

    def to_json(self):
        return {"struct": [f.to_json() for f in self.fields]}


class NonFinite(Type):
    """A float that may also be NaN or ±Infinity: NonFinite(Float64) or NonFinite(Float32)."""

    def __init__(self, item):
        if item is not Float64 and item is not Float32:
            raise TypeError(f"NonFinite takes Float64 or Float32, got {item!r}")
        self.item = item

    def to_json(self):
        return {"nonFinite": self.item.name}


class Field:
    def __init__(self, name, type, optional=False):
        if not isinstance(name, str) or not name:
            raise TypeError("Field name must be a non-empty string")
        self.name = name
        t = as_type(type)
        self.type = Optional(t) if optional and not isinstance(t, Optional) else t

    def to_json(self):
        return {"name": self.name, "type": self.type.to_json()}

    def __repr__(self):
        return f"Field({self.name!r}, {self.type!r})"


def as_type(t):
    if isinstance(t, Type):
        return t
    raise TypeError(f"not a vial type: {t!r}")


def as_fields(fields, where):
    """A list of Fields with distinct names; `where` names the declaration in errors."""
    if isinstance(fields, (str, bytes, dict)) or not hasattr(fields, "__iter__"):
        raise TypeError(f"{where} takes a list of Field objects, got {fields!r}")
    fields = list(fields)
    seen = set()
    for f in fields:
        if not isinstance(f, Field):
            raise TypeError(f"{where} takes Field objects, got {f!r}")
        if f.name in seen:
            raise ValueError(f"{where} declares the field {f.name!r} twice")
        seen.add(f.name)
    return fields
