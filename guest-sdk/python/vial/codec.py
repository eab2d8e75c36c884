"""Row values between the wire (the JSON text host and guest exchange) and Python values,
checked in both directions with the words of the JS side (runtime/schema.ts), so a
problem reads the same whichever language a function is written in.

row_decoder(fields) and row_encoder(fields) make a row's converters once per function,
from one converter per declared type, then called per value. A value that fits pays for a
type test and its conversion; the message, and where inside the value the problem lies
(`a.b`, `xs[2]`, `m["key"]`), is worked out only when it does not fit.

Wire forms: bytes are base64 text, timestamps canonical RFC 3339 text (_timestamp.py), a
NonFinite float's NaN and ±Infinity the texts "NaN", "Infinity", "-Infinity".
"""
import base64
import binascii
import json
import math
import struct
from datetime import datetime

from ._timestamp import format_timestamp, parse_timestamp
from .types import Array, Bool, Bytes, Float32, Float64, Int32, Int64, Map, NonFinite, Optional, String, Struct, Timestamp

MAX_INT64 = 2**53 - 1
MIN_INT32, MAX_INT32 = -(2**31), 2**31 - 1
MAX_FLOAT32 = 3.4028234663852886e38
NON_FINITE_TEXT = {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}
_FLOAT32 = struct.Struct("<f")
_INT_RANGES = {"int64": (-MAX_INT64, MAX_INT64, " (outside ±2^53-1)"), "int32": (MIN_INT32, MAX_INT32, " (outside -2^31..2^31-1)")}


class FieldError(Exception):
    """A value that does not fit its type: what is wrong, and where inside the row."""

    def __init__(self, message, path=""):
        super().__init__(message)
        self.message, self.path = message, path

    def under(self, part):
        """The same problem seen from the value that holds this one (`part` is `.name`, `[i]`, `["key"]`)."""
        self.path = part + self.path
        return self

    def __str__(self):
        return f"field '{self.path}': {self.message}" if self.path else self.message


def type_name(t):
    """A type's one-line name, as messages use it: `array<int64>`, `struct{a: string}`."""
    return _name(t.to_json())


def _name(j):
    if isinstance(j, str):
        return j
    (kind, inner), = j.items()
    if kind == "struct":
        return "struct{" + ", ".join(f"{f['name']}: {_name(f['type'])}" for f in inner) + "}"
    if kind == "nonFinite":
        return f"{inner} (NaN and ±Infinity allowed)"
    return f"{kind}<{_name(inner)}>"


def describe(v):
    """What a value is, in the words of the JS side (`got string`, `got float 2.5`, `got NaN`)."""
    if v is None:
        return "null"
    if v is True or v is False:
        return "boolean"
    if isinstance(v, int):
        return "number"
    if isinstance(v, float):
        return js_number(v) if v - v != 0 else "number" if v.is_integer() else f"float {js_number(v)}"
    if isinstance(v, str):
        return "string"
    if isinstance(v, (list, tuple)):
        return "array"
    if isinstance(v, (bytes, bytearray, memoryview)):
        return "bytes"
    if isinstance(v, datetime):
        return "a date"
    if isinstance(v, dict):
        return "object"
    return type(v).__name__


def js_number(x):
    """A float written as JavaScript writes numbers (`1e-7`, `1e+21`, `0.000001`, `100`)."""
    if x != x:
        return "NaN"
    if x - x != 0:
        return "Infinity" if x > 0 else "-Infinity"
    if x == 0:
        return "0"
    mantissa, _, exponent = repr(abs(x)).partition("e")
    whole, _, fraction = mantissa.partition(".")
    all_digits = whole + fraction
    zeros = len(all_digits) - len(all_digits.lstrip("0"))
    digits = all_digits[zeros:].rstrip("0")
    n = len(whole) - zeros + int(exponent or 0)  # x = 0.digits * 10**n
    k, sign = len(digits), "-" if x < 0 else ""
    if k <= n <= 21:
        return sign + digits + "0" * (n - k)
    if 0 < n <= 21:
        return sign + digits[:n] + "." + digits[n:]
    if -6 < n <= 0:
        return sign + "0." + "0" * -n + digits
    e = n - 1
    return sign + digits[0] + ("." + digits[1:] if k > 1 else "") + ("e+" if e >= 0 else "e-") + str(abs(e))


def _expected(t, v):
    return FieldError(f"expected {type_name(t)}, got {describe(v)}")


def _plain(v):
    """numpy scalars and arrays stand for the Python values they hold."""
    if type(v).__module__ == "numpy" and hasattr(v, "tolist"):
        return v.tolist()
    return v


def _converter(t, decoding):
    """A converter from a wire value (parsed JSON) to the value a function receives (`decoding`),
    or from a value it returned to its wire value (JSON-ready)."""
    if isinstance(t, Optional):
        item = _converter(t.item, decoding)
        return lambda v: None if v is None else item(v)
    if isinstance(t, Array):
        return _list(t, _converter(t.item, decoding), decoding)
    if isinstance(t, Map):
        return _map(t, _converter(t.item, decoding))
    if isinstance(t, Struct):
        return _record(t.fields, decoding, t)
    if isinstance(t, NonFinite):
        return _non_finite(t, _float(t.item), decoding)
    if t is Int64 or t is Int32:
        return _int(t)
    if t is Float64 or t is Float32:
        return _float(t)
    if t is String:
        return _string
    if t is Bool:
        return _bool
    if t is Bytes:
        return _from_base64 if decoding else _to_base64
    if t is Timestamp:
        return _from_text if decoding else _to_text
    raise TypeError(f"not a vial type: {t!r}")


def _string(v):
    if type(v) is str:
        return v
    if isinstance(v, str):  # a subclass (numpy.str_)
        return str(v)
    raise _expected(String, v)


def _bool(v):
    if v is True or v is False:
        return v
    v = _plain(v)
    if v is True or v is False:
        return v
    raise _expected(Bool, v)


def _int(t):
    low, high, outside = _INT_RANGES[t.name]

    def convert(v):
        if type(v) is int and low <= v <= high:
            return v
        v = _plain(v)
        whole = (isinstance(v, int) and not isinstance(v, bool)) or (isinstance(v, float) and v.is_integer())
        if whole and low <= v <= high:
            return int(v)
        raise FieldError(f"expected {t.name}, got {describe(v)}{outside if whole else ''}")

    return convert


def _float(t):
    single = t is Float32

    def convert(v):
        if type(v) is not float or v - v != 0:
            v = _as_float(t, v)
        return _to_float32(v) if single else v

    return convert


def _as_float(t, v):
    """A number other than a finite float as a float; a FieldError for anything else."""
    v = _plain(v)
    f = _float_of(v)
    if f is None:
        raise _expected(t, v)
    if f - f != 0:
        raise FieldError(f"expected a finite {t.name}, got {js_number(f)}")
    return f


def _float_of(v):
    """An int or float as a float (an int past the largest double as ±Infinity); None for anything else."""
    if not isinstance(v, (int, float)) or isinstance(v, bool):
        return None
    try:
        return float(v)
    except OverflowError:
        return math.inf if v > 0 else -math.inf


def _to_float32(f):
    if abs(f) > MAX_FLOAT32:
        raise FieldError(f"expected float32, got {js_number(f)} (beyond float32's range)")
    return _FLOAT32.unpack(_FLOAT32.pack(f))[0]


def _non_finite(t, finite, decoding):
    def convert(v):
        if type(v) is not float:
            if decoding and type(v) is str and v in NON_FINITE_TEXT:
                return NON_FINITE_TEXT[v]
            f = _float_of(_plain(v))
            if f is None:
                raise FieldError(f"expected {t.item.name}, got {describe(_plain(v))}")
            v = f
        if v - v == 0:
            return finite(v)
        return v if decoding else js_number(v)  # "NaN", "Infinity", "-Infinity": the wire's texts

    return convert


def _from_base64(v):
    if type(v) is str:
        try:
            return base64.b64decode(v, validate=True)
        except binascii.Error:
            try:  # unpadded base64, which the host accepts
                return base64.b64decode(v + "=" * (-len(v) % 4), validate=True)
            except binascii.Error:
                pass
    raise FieldError("expected bytes as a base64 string")


def _to_base64(v):
    if isinstance(v, (bytes, bytearray, memoryview)):
        return base64.b64encode(v).decode("ascii")
    raise _expected(Bytes, v)


def _from_text(v):
    value = parse_timestamp(v) if type(v) is str else None
    if value is None:
        raise FieldError("expected a timestamp (RFC 3339 text with a time zone, years 0001-9999)")
    return value


def _to_text(v):
    if type(v) is str:
        # RFC 3339 text, as a JS function may return it (a Date cannot hold microseconds).
        value = parse_timestamp(v)
        if value is None:
            raise FieldError("expected a timestamp (a datetime, or RFC 3339 text with a time zone, years 0001-9999)")
        return format_timestamp(value)
    if isinstance(v, datetime):
        try:
            text = format_timestamp(v)
        except (TypeError, ValueError):  # pandas' NaT is a datetime with no fields
            text = None
        if text is None:
            raise FieldError(f"{_expected(Timestamp, v)} (invalid, or outside years 0001-9999)")
        return text
    raise _expected(Timestamp, _plain(v))


def _list(t, item, decoding):
    def convert(v):
        if type(v) is not list and (decoding or not isinstance(v, (list, tuple))):
            v = _plain(v)
            if type(v) is not list:
                raise _expected(t, v)
        out = []
        try:
            for x in v:
                out.append(item(x))
        except FieldError as e:
            raise e.under(f"[{len(out)}]") from None
        return out

    return convert


def _map(t, item):
    def convert(v):
        if not isinstance(v, dict):
            raise _expected(t, v)
        out = {}
        key = None
        try:
            for key, x in v.items():
                if type(key) is not str:
                    raise FieldError(f"expected {type_name(t)}, got a key that is {describe(key)}")
                out[key] = item(x)
        except FieldError as e:
            raise (e if type(key) is not str else e.under(f"[{json.dumps(key, ensure_ascii=False)}]")) from None
        return out

    return convert


def _record(fields, decoding, t=None):
    """A struct's converter; with `t` None, a whole row's (paths start with the field's name, no dot)."""
    plan = [(f.name, _converter(f.type, decoding), not isinstance(f.type, Optional)) for f in fields]
    dot = "." if t is not None else ""

    def convert(v):
        if not isinstance(v, dict):
            raise _expected(t, v) if t is not None else FieldError(f"expected an object, got {describe(v)}")
        out = {}
        name = None
        try:
            for name, field, required in plan:
                if name in v:
                    out[name] = field(v[name])
                elif required:
                    raise FieldError("missing")
                else:
                    out[name] = None
        except FieldError as e:
            raise e.under(dot + name) from None
        return out

    return convert


def row_decoder(fields):
    """A row's converter from the wire: a dict of the declared fields (absent optional ones None)."""
    return _flat_fast_path(fields, _record(fields, True), exact_keys=False)


def row_encoder(fields):
    """A returned row's converter to the wire. Keys the function did not declare are passed on
    as null, so the host counts them (and drops them) without having to carry their values."""
    record = _record(fields, False)
    declared = frozenset(f.name for f in fields)

    def convert(v):
        out = record(v)
        if not v.keys() <= declared:
            for key in v:
                if key not in declared:
                    out[key if type(key) is str else str(key)] = None
        return out

    return _flat_fast_path(fields, convert, exact_keys=True)


# For a row of required strings, integers, floats and booleans: the test under which each
# type's converter hands the value back unchanged (see _string, _int, _float, _bool).
_SAME_VALUE = {
    String: "type({v}) is str",
    Int64: "type({v}) is int and -MAX_INT64 <= {v} <= MAX_INT64",
    Int32: "type({v}) is int and MIN_INT32 <= {v} <= MAX_INT32",
    Float64: "type({v}) is float and {v} - {v} == 0",
    Bool: "({v} is True or {v} is False)",
}


def _flat_fast_path(fields, convert, exact_keys):
    """`convert` with a fast path in front for the common row: a plain dict holding every declared
    field (and, with `exact_keys`, nothing else) with values its converters hand back unchanged.
    It builds the same dict `convert` would, in one function made once per schema, instead of
    a call per field; any other row goes to `convert`, which gives its answer or its error.
    Rows with nested, optional or converted types (bytes, timestamps, float32) always take `convert`."""
    if not fields or len({f.name for f in fields}) != len(fields) or any(f.type not in _SAME_VALUE for f in fields):
        return convert
    names = [f"a{i}" for i in range(len(fields))]
    take = "; ".join(f"{a} = v[{f.name!r}]" for a, f in zip(names, fields))
    same = " and ".join(f"({_SAME_VALUE[f.type].format(v=a)})" for a, f in zip(names, fields))
    build = "{" + ", ".join(f"{f.name!r}: {a}" for a, f in zip(names, fields)) + "}"
    shape = f"type(v) is dict and len(v) == {len(fields)}" if exact_keys else "type(v) is dict"
    source = (
        "def fast(v):\n"
        f"    if {shape}:\n"
        "        try:\n"
        f"            {take}\n"
        "        except KeyError:\n"
        "            return convert(v)\n"
        f"        if {same}:\n"
        f"            return {build}\n"
        "    return convert(v)\n"
    )
    scope = {"convert": convert, "MAX_INT64": MAX_INT64, "MIN_INT32": MIN_INT32, "MAX_INT32": MAX_INT32}
    exec(source, scope)  # noqa: S102 - our own text, made from the declared names (as literals) and types
    return scope["fast"]
