/** F. Compute per row, guest vs V8 and Python guest vs CPython (and D's instantiate times), measured in children with the host's flags. */
import type { Mode } from "../modes.ts";
import { FUZZY, FUZZY_PY } from "../envs.ts";
import { fuzzyRows } from "../rows.ts";
import { measureInChild } from "../compute/run.ts";

export async function compute(store: string, scriptFile: string, mode: Mode, hostFlags: string[]) {
  const rows = mode.compute.rows;
  return measureInChild<Record<string, unknown>>(
    { store, env: FUZZY.name, fn: FUZZY.fn, batch: JSON.stringify(fuzzyRows(rows)), rows, ms: mode.compute.ms, instantiations: mode.footprint.instantiations, scriptFile },
    hostFlags,
  );
}

/** The same rows through the Python component and through CPython; a fixed size, as Python's per-row cost is higher. */
export async function computePython(store: string, mode: Mode, hostFlags: string[]) {
  const rows = mode.compute.pyRows;
  return measureInChild<Record<string, unknown>>(
    { store, env: FUZZY_PY.name, module: FUZZY_PY.module, fn: FUZZY_PY.fn, batch: JSON.stringify(fuzzyRows(rows)), rows, ms: mode.compute.ms, instantiations: mode.footprint.instantiations },
    hostFlags,
    "./measure-python.ts",
  );
}
