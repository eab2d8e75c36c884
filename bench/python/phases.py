"""Where a Python row's time goes: one batch of a transformation taken apart
into the dispatcher's phases (JSON in, decoding rows, the handler, encoding
rows, JSON out), so the same code gives the figures in the component and in
native CPython.

A guest's clocks are fixed (it cannot time itself), so each phase is timed
from outside: a call runs the phases before `phase` once, then `phase` itself
`repeat` times; the caller times calls with `repeat` N and 0, and the
difference over N is the phase's time.

Deployed beside the module it measures (bench/python-phases.ts copies both).
"""
import json

import fuzzy_similarity  # noqa: F401 - registers the function measured
from vial import REGISTRY, Field, Int64, String, transformation

PHASES = ["json_in", "decode", "handler", "encode", "json_out"]


def run_phase(fn, batch, phase, repeat):
    t = REGISTRY[fn]
    steps = {
        "json_in": lambda state: json.loads(batch),
        "decode": lambda state: [t.decode_row(r) for r in state["json_in"]],
        "handler": lambda state: [t.call(x) for x in state["decode"]],
        "encode": lambda state: [t.encode_row(out) for out in state["handler"]],
        "json_out": lambda state: json.dumps({"rows": state["encode"], "errors": []}),
    }
    state = {}
    for name in PHASES:
        if name == phase:
            for _ in range(repeat):
                steps[name](state)
            return
        state[name] = steps[name](state)
    raise ValueError(f"no phase {phase!r}")


@transformation(
    inputs=[Field("fn", String), Field("batch", String), Field("phase", String), Field("repeat", Int64)],
    outputs=[Field("done", Int64)],
)
def phases(row):
    run_phase(row["fn"], row["batch"], row["phase"], row["repeat"])
    return {"done": 1}
