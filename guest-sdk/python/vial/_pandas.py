"""pandas mode's conversions (docs/types.md): a function's input columns as a DataFrame with
each type's dtype, and the DataFrame it returns as output columns of plain values, which
the output rows' checks then take column by column. Imported only by functions declared
with mode="pandas", and only where pandas is installed."""
from datetime import datetime, timezone

import numpy as np
import pandas as pd

from ._modes import BatchFailure
from ._timestamp import format_timestamp
from .codec import describe
from .types import Bool, Float32, Float64, Int32, Int64, NonFinite, Optional, Timestamp

# What datetime64[ns] holds.
_FIRST_NS = datetime(1677, 9, 21, 0, 12, 43, 145225, timezone.utc)
_LAST_NS = datetime(2262, 4, 11, 23, 47, 16, 854775, timezone.utc)
_INTS = {Int64: ("int64", "Int64"), Int32: ("int32", "Int32")}
_FLOATS = {Float64: np.float64, Float32: np.float32}


class Plan:
    """One function's conversions, made once: a Series maker per input field (per named
    input), a value reader per output field."""

    def __init__(self, t):
        records = t.named if t.named is not None else {None: t.inputs}
        self._inputs = {key: [(f.name, _series_maker(f.type)) for f in fields] for key, fields in records.items()}
        self._outputs = [(f.name, _values_reader(f.type)) for f in t.outputs]

    def frame(self, key, columns, n):
        """The DataFrame of one input record's columns (`key`: the named input, or None)."""
        data = {}
        for name, make in self._inputs[key]:
            try:
                data[name] = make(columns[name])
            except _OutOfRange as e:
                where = f"{key}.{name}" if key is not None else name
                raise BatchFailure(
                    f"row {e.row}: input field '{where}': {e.text} is outside what pandas' datetime64[ns] holds (1677-09-21 to 2262-04-11)"
                ) from None
        return pd.DataFrame(data, index=pd.RangeIndex(n))

    def columns(self, fn_name, frame, n):
        """The output columns of a returned DataFrame, as lists of plain values (missing values None)."""
        if not isinstance(frame, pd.DataFrame):
            raise BatchFailure(f"{fn_name} returned {describe(frame)}, not a DataFrame")
        if len(frame) != n:
            raise BatchFailure(f"{fn_name} returned a DataFrame of {len(frame)} rows for {n} input rows")
        out = {}
        for name, read in self._outputs:
            if name in frame.columns:
                column = frame[name]
                if isinstance(column, pd.DataFrame):
                    raise BatchFailure(f"{fn_name} returned {column.shape[1]} columns named '{name}'")
                out[name] = read(column)
        for name in frame.columns:
            out.setdefault(name, None)  # undeclared: a key of each row, for the host to count
        return out


class _OutOfRange(Exception):
    def __init__(self, row, text):
        super().__init__(text)
        self.row, self.text = row, text


def _series_maker(t):
    optional = isinstance(t, Optional)
    inner = t.item if optional else t
    base = inner.item if isinstance(inner, NonFinite) else inner
    if base in _INTS:
        dtype = _INTS[base][1 if optional else 0]
        return lambda values: pd.Series(values, dtype=dtype)
    if base in _FLOATS:
        dtype = _FLOATS[base]
        if not optional:
            return lambda values: pd.Series(np.array(values, dtype=dtype))
        # A nullable float keeps NaN (a NonFinite value) apart from a missing one.
        return lambda values: pd.Series(pd.arrays.FloatingArray(
            np.array([0.0 if v is None else v for v in values], dtype=dtype),
            np.array([v is None for v in values], dtype=bool),
        ))
    if base is Bool:
        dtype = "boolean" if optional else "bool"
        return lambda values: pd.Series(values, dtype=dtype)
    if base is Timestamp:
        return _timestamps
    # Strings, bytes, lists, maps and structs: object columns of Python values.
    return lambda values: pd.Series(values, dtype=object)


def _timestamps(values):
    for row, v in enumerate(values):
        if v is not None and not _FIRST_NS <= v <= _LAST_NS:
            raise _OutOfRange(row, format_timestamp(v))
    return pd.Series(values, dtype="datetime64[ns, UTC]")


def _values_reader(t):
    """A column's values as plain Python values, its missing ones (None, NA, NaT; NaN too in
    an optional field that does not hold NaN as a value) as None."""
    na, nat = pd.NA, pd.NaT
    if isinstance(t, Optional) and not isinstance(t.item, NonFinite):
        return lambda column: [
            None if v is None or v is na or v is nat or (isinstance(v, float) and v != v) else v for v in column.tolist()
        ]
    return lambda column: [None if v is na or v is nat else v for v in column.tolist()]
