/** F. Compute per row, guest vs V8 (and D's instantiate times), measured in a child with the host's flags. */
import type { Mode } from "../modes.ts";
import { FUZZY } from "../envs.ts";
import { fuzzyRows } from "../rows.ts";
import { measureInChild } from "../compute/run.ts";

export async function compute(store: string, scriptFile: string, mode: Mode, hostFlags: string[]) {
  const rows = mode.compute.rows;
  return measureInChild<Record<string, unknown>>(
    { store, env: FUZZY.name, fn: FUZZY.fn, batch: JSON.stringify(fuzzyRows(rows)), rows, ms: mode.compute.ms, instantiations: mode.footprint.instantiations, scriptFile },
    hostFlags,
  );
}
