"""Converts row values between the JSON wire form and Python values.

bytes travel as base64 text; everything else is plain JSON. Both directions
check values against the declared type so a mistake names the field.
"""
import base64
import math

from .types import Array, Bool, Bytes, Float64, Int64, Optional, String

MAX_SAFE = 2**53 - 1


class FieldError(Exception):
    pass


def _kind(v):
    return type(v).__name__


def _non_finite(v):
    """What float64 cannot hold (JSON has no NaN or Infinity), named as the
    JS engines name it so every engine refuses it alike; None when finite."""
    try:
        f = float(v)
    except OverflowError:  # an int past the largest double
        f = math.inf if v > 0 else -math.inf
    if math.isnan(f):
        return "NaN"
    if math.isinf(f):
        return "Infinity" if f > 0 else "-Infinity"
    return None


def decode(t, v, where):
    """Wire (JSON) value -> Python value for handler input."""
    if isinstance(t, Optional):
        return None if v is None else decode(t.item, v, where)
    if t is Bytes:
        if not isinstance(v, str):
            raise FieldError(f"{where}: expected bytes (base64 string), got {_kind(v)}")
        try:
            return base64.b64decode(v, validate=True)
        except Exception:
            raise FieldError(f"{where}: invalid base64") from None
    if isinstance(t, Array):
        if not isinstance(v, list):
            raise FieldError(f"{where}: expected array, got {_kind(v)}")
        return [decode(t.item, x, f"{where}[{i}]") for i, x in enumerate(v)]
    check(t, v, where)
    return float(v) if t is Float64 else v


def encode(t, v, where):
    """Handler output value -> wire (JSON) value, checking its type."""
    if type(v).__module__ == "numpy" and hasattr(v, "tolist"):
        # numpy scalars and arrays stand for the Python values they hold.
        v = v.tolist()
    if isinstance(t, Optional):
        return None if v is None else encode(t.item, v, where)
    if t is Bytes:
        if not isinstance(v, (bytes, bytearray, memoryview)):
            raise FieldError(f"{where}: expected bytes, got {_kind(v)}")
        return base64.b64encode(bytes(v)).decode("ascii")
    if isinstance(t, Array):
        if not isinstance(v, (list, tuple)):
            raise FieldError(f"{where}: expected array, got {_kind(v)}")
        return [encode(t.item, x, f"{where}[{i}]") for i, x in enumerate(v)]
    check(t, v, where)
    return float(v) if t is Float64 else v


def check(t, v, where):
    if t is String:
        ok = isinstance(v, str)
    elif t is Bool:
        ok = isinstance(v, bool)
    elif t is Int64:
        ok = isinstance(v, int) and not isinstance(v, bool)
        if ok and not -MAX_SAFE <= v <= MAX_SAFE:
            raise FieldError(f"{where}: int64 out of range (±2^53-1)")
    elif t is Float64:
        ok = isinstance(v, (int, float)) and not isinstance(v, bool)
        if ok and _non_finite(v):
            raise FieldError(f"{where}: expected a finite float64, got {_non_finite(v)}")
    else:
        raise FieldError(f"{where}: unknown type {t!r}")
    if not ok:
        raise FieldError(f"{where}: expected {t.to_json()}, got {_kind(v)}")
