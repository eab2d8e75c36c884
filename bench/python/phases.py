"""Where a Python row's time goes: one batch of a transformation taken apart
into the dispatcher's phases, each repeated and timed inside Python, so the
same code gives the figures in the component and in native CPython.

Deployed beside the module it measures (bench/python-phases.ts copies both).
"""
import json
import time

import fuzzy_similarity  # noqa: F401 - registers the function measured
from vial import REGISTRY, Field, Float64, Int64, String, transformation
from vial._runtime import _decode_row, _encode_row

PHASES = ["json_in", "decode", "handler", "encode", "json_out"]


@transformation(
    inputs=[Field("fn", String), Field("batch", String), Field("repeat", Int64)],
    outputs=[Field(f"{p}_us", Float64) for p in PHASES],
)
def phases(row):
    t = REGISTRY[row["fn"]]
    steps = {
        "json_in": lambda state: json.loads(row["batch"]),
        "decode": lambda state: [_decode_row(t, r, i) for i, r in enumerate(state["json_in"])],
        "handler": lambda state: [t.fn(x) for x in state["decode"]],
        "encode": lambda state: [_encode_row(t, out) for out in state["handler"]],
        "json_out": lambda state: json.dumps({"rows": state["encode"], "errors": []}),
    }
    state, out = {}, {}
    for name in PHASES:
        start = time.perf_counter()
        for _ in range(row["repeat"]):
            state[name] = steps[name](state)
        per_call = (time.perf_counter() - start) / row["repeat"]
        out[f"{name}_us"] = per_call / len(state["json_in"]) * 1e6
    return out
