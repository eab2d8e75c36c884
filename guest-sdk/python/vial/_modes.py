"""How each mode runs a function over a batch (docs/types.md): "row" calls it per row,
"batch" with the list of rows, "columns" with a dict of columns, "pandas" with a DataFrame.
Each returns the output rows in wire form and the per-row errors, or raises BatchFailure
when the batch fails as a whole (any mode but "row", when the function raises or returns
the wrong shape)."""
import os
import traceback

from .codec import FieldError, describe
from .types import Optional

_SDK_DIR = os.path.dirname(os.path.abspath(__file__))


class BatchFailure(Exception):
    pass


def error_text(exc):
    """An exception the function raised, in one line: its type, message and where in user code."""
    head = f"{type(exc).__name__}: {exc}"
    # The innermost few frames of user code; source lines are not looked up (no files at run time).
    stack = traceback.StackSummary.extract(traceback.walk_tb(exc.__traceback__), lookup_lines=False)
    frames = [f for f in stack if not f.filename.startswith(_SDK_DIR)][-3:]
    where = "; ".join(f"{f.name} line {f.lineno}" for f in frames)
    return f"{head} (at {where})" if where else head


def run(t, batch):
    """(rows, errors) for a list of wire rows; raises BatchFailure."""
    return MODES[t.mode](t, batch)


def _row(t, batch):
    rows, errors = [None] * len(batch), []
    decode, call, encode = t.decode_row, t.call, t.encode_row
    for i, given in enumerate(batch):
        try:
            args = decode(given)
        except FieldError as e:
            errors.append({"row": i, "error": f"input {e}"})
            continue
        try:
            out = call(args)
        except BaseException as e:  # noqa: BLE001 - per-row isolation, incl. MemoryError/SystemExit
            errors.append({"row": i, "error": error_text(e)})
            continue
        try:
            rows[i] = encode(out)
        except FieldError as e:
            errors.append({"row": i, "error": f"output {e}"})
    return rows, errors


def _batch(t, batch):
    rows = _decoded(t, batch)
    if t.named is not None:
        # One argument per named input: the list of its records, one per row.
        out = _invoke(t, {name: [row[name] for row in rows] for name in t.named})
    else:
        out = _invoke(t, rows)
    if not isinstance(out, (list, tuple)):
        raise BatchFailure(f"{t.name} returned {_what(out)}, not a list of {len(rows)} rows")
    if len(out) != len(rows):
        raise BatchFailure(f"{t.name} returned {len(out)} rows for {len(rows)} input rows")
    return _encoded(t, out)


def _columns(t, batch):
    rows = _decoded(t, batch)
    if t.named is not None:
        out = _invoke(t, {name: _columns_of(fields, [row[name] for row in rows]) for name, fields in t.named.items()})
    else:
        out = _invoke(t, _columns_of(t.inputs, rows))
    if not isinstance(out, dict):
        raise BatchFailure(f"{t.name} returned {_what(out)}, not a dict of columns")
    return _encoded(t, _rows_of(t, out, len(rows)))


def _pandas(t, batch):
    plan = prepare(t)
    rows = _decoded(t, batch)
    try:
        if t.named is not None:
            args = {name: plan.frame(name, _columns_of(fields, [row[name] for row in rows]), len(rows)) for name, fields in t.named.items()}
        else:
            args = plan.frame(None, _columns_of(t.inputs, rows), len(rows))
    except FieldError as e:
        raise BatchFailure(f"input {e}") from None
    out = _invoke(t, args)
    return _encoded(t, _rows_of(t, plan.columns(t.name, out, len(rows)), len(rows)))


MODES = {"row": _row, "batch": _batch, "columns": _columns, "pandas": _pandas}


def prepare(t):
    """What a mode needs made once per function (pandas' column conversions), made on first use;
    the snapshot makes them at build time."""
    if t.mode == "pandas":
        plan = getattr(t, "pandas_plan", None)
        if plan is None:
            from ._pandas import Plan

            plan = t.pandas_plan = Plan(t)
        return plan
    return None


def _decoded(t, batch):
    rows = []
    for given in batch:
        try:
            rows.append(t.decode_row(given))
        except FieldError as e:
            raise BatchFailure(f"row {len(rows)}: input {e}") from None
    return rows


def _invoke(t, args):
    try:
        return t.call(args)
    except BaseException as e:  # noqa: BLE001 - any failure fails the batch
        raise BatchFailure(error_text(e)) from None


def _encoded(t, outs):
    rows, errors = [None] * len(outs), []
    encode = t.encode_row
    for i, out in enumerate(outs):
        try:
            rows[i] = encode(out)
        except FieldError as e:
            errors.append({"row": i, "error": f"output {e}"})
    return rows, errors


def _columns_of(fields, records):
    return {f.name: [record[f.name] for record in records] for f in fields}


def _rows_of(t, columns, n):
    """Output columns as output rows: each declared column one value per row (a missing optional one
    null), and every other column a key of each row, for the host to count as undeclared."""
    names, lists = [], []
    for f in t.outputs:
        if f.name in columns:
            names.append(f.name)
            lists.append(_column(t, f.name, columns[f.name], n))
        elif not isinstance(f.type, Optional):
            raise BatchFailure(f"{t.name} returned no column '{f.name}'")
    declared = {f.name for f in t.outputs}
    for name in columns:
        if name not in declared:
            names.append(name if type(name) is str else str(name))
            lists.append([None] * n)
    if not names:
        return [{} for _ in range(n)]
    return [dict(zip(names, values)) for values in zip(*lists)]


def _column(t, name, values, n):
    if not isinstance(values, (list, tuple)):
        if not hasattr(values, "tolist") or isinstance(values, (str, bytes)):
            raise BatchFailure(f"{t.name} returned column '{name}' as {_what(values)}, not a list")
        values = values.tolist()  # a numpy array or a pandas Series
    if len(values) != n:
        raise BatchFailure(f"{t.name} returned {len(values)} values in column '{name}' for {n} rows")
    return values


def _what(value):
    """What a function returned instead of a batch's shape, as the JS SDK says it."""
    return "an array" if isinstance(value, (list, tuple)) else describe(value)
