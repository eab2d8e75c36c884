"""Schema types shared with the JS SDK: each renders to the same JSON shape."""


class Type:
    def to_json(self):
        raise NotImplementedError


class _Scalar(Type):
    def __init__(self, name):
        self.name = name

    def to_json(self):
        return self.name

    def __repr__(self):
        return self.name


String = _Scalar("string")
Int64 = _Scalar("int64")
Float64 = _Scalar("float64")
Bool = _Scalar("bool")
Bytes = _Scalar("bytes")


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


class Field:
    def __init__(self, name, type, optional=False):
        if not isinstance(name, str) or not name:
            raise TypeError("Field name must be a non-empty string")
        self.name = name
        t = as_type(type)
        self.type = Optional(t) if optional and not isinstance(t, Optional) else t

    def to_json(self):
        return {"name": self.name, "type": self.type.to_json()}


def as_type(t):
    if isinstance(t, Type):
        return t
    raise TypeError(f"not a vial type: {t!r}")
