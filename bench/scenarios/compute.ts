/** F. Compute per row, guest vs V8 and Python guest vs CPython (and D's instantiate times), measured in children with the host's flags. */
import type { Mode } from "../modes.ts";
import { COSINE_PY, FUZZY, FUZZY_PY, HAVERSINE_PY, type BenchEnv } from "../envs.ts";
import { cosineRows, fuzzyRows, haversineRows } from "../rows.ts";
import type { BenchStore } from "../store.ts";
import { measureInChild } from "../compute/run.ts";
import { ensureDebianNumpy } from "../../testing/python.ts";

export async function compute(store: string, scriptFile: string, mode: Mode, hostFlags: string[]) {
  const rows = mode.compute.rows;
  return measureInChild<Record<string, unknown>>(
    { store, env: FUZZY.name, fn: FUZZY.fn, batch: JSON.stringify(fuzzyRows(rows)), rows, ms: mode.compute.ms, instantiations: mode.footprint.instantiations, scriptFile },
    hostFlags,
  );
}

/** The same rows through the Python component and through CPython; a fixed size, as Python's per-row cost is higher. */
export async function computePython(store: string, mode: Mode, hostFlags: string[]) {
  return measurePython(store, FUZZY_PY, fuzzyRows(mode.compute.pyRows), mode, hostFlags, mode.footprint.instantiations);
}

function measurePython(store: string, env: BenchEnv, rows: unknown[], mode: Mode, hostFlags: string[], instantiations = 1) {
  return measureInChild<Record<string, unknown>>(
    { store, env: env.name, module: env.module, fn: env.fn, batch: JSON.stringify(rows), rows: rows.length, ms: mode.compute.ms, instantiations },
    hostFlags,
    "./measure-python.ts",
  );
}

type Measured = { compute?: Record<string, unknown>; reason?: string };

/**
 * Per-row time in the component over native CPython for functions of different kinds: string matching (the
 * fuzzy example, measured by computePython), floating-point math (a haversine distance), numpy (a cosine
 * similarity; its environment builds numpy for the interpreter, in a store of its own). A kind that cannot
 * run says why.
 */
export async function computePythonKinds(store: string, fuzzy: Measured, numpyStore: () => Promise<BenchStore>, mode: Mode, hostFlags: string[], progress: (msg: string) => void) {
  const rows = mode.compute.pyCheapRows;
  const reason = (error: Error) => ({ reason: `failed: ${error.message.split("\n")[0]}` });
  progress("F compute: Python haversine");
  const floatMath = (await measurePython(store, HAVERSINE_PY, haversineRows(rows), mode, hostFlags).catch(reason)) as Measured;
  progress("F compute: Python numpy cosine");
  const numpy = (await numpyStore()
    .then((s) => {
      ensureDebianNumpy(); // the native side
      return measurePython(s.store.root, COSINE_PY, cosineRows(rows), mode, hostFlags);
    })
    .catch(reason)) as Measured;
  const kind = (fn: string, m: Measured) => (m.compute ? { fn, ...m.compute } : { fn, reason: m.reason ?? "not measured" });
  return {
    string_matching: kind(FUZZY_PY.fn, fuzzy),
    float_math: kind(HAVERSINE_PY.fn, floatMath),
    numpy: kind(COSINE_PY.fn, numpy),
  };
}
