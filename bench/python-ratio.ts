/**
 * The Python compute ratio on its own: the fuzzy example per row inside the
 * Python component against native CPython running the same dispatcher, with
 * the host's V8 flags (the same measurement as `npm run bench`'s
 * summary.compute.py_guest_over_cpython). For trying interpreter builds.
 *
 *   npx tsx bench/python-ratio.ts [--mode quick|full] [--repeat N]
 */
import { parseArgs } from "node:util";
import { MODES, type ModeName } from "./modes.ts";
import { benchPythonStore } from "./store.ts";
import { computePython } from "./scenarios/compute.ts";

// bench/run.ts's DEFAULT_HOST_FLAGS (importing run.ts would start a whole run).
const HOST_FLAGS = ["--no-wasm-lazy-compilation", "--single-threaded-gc"];

const { values } = parseArgs({ options: { mode: { type: "string", default: "quick" }, repeat: { type: "string", default: "3" } } });
const mode = MODES[values.mode as ModeName];
const store = await benchPythonStore({ rebuild: false, progress: (m) => console.error(m) });
for (let i = 0; i < Number(values.repeat); i++) {
  const { compute } = (await computePython(store.store.root, mode, HOST_FLAGS)) as { compute: Record<string, unknown> };
  console.log(JSON.stringify(compute));
}
