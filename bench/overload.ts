/**
 * Scenario G alone (bench/scenarios/overload.ts), `--runs N` times in a row:
 * the figures that depend on scheduling move between runs on a shared
 * machine, and one run of the full bench shows only one of them.
 *   npm run bench:overload -- [--runs 5] [--smoke | --full]
 */
import { parseArgs } from "node:util";
import { benchStore } from "./store.ts";
import { overload } from "./scenarios/overload.ts";
import { MODES } from "./modes.ts";

const { values } = parseArgs({ options: { runs: { type: "string", default: "1" }, smoke: { type: "boolean", default: false }, full: { type: "boolean", default: false } } });
const mode = MODES[values.smoke ? "smoke" : values.full ? "full" : "quick"];
const bench = await benchStore({ rebuild: false, progress: (msg) => console.error(msg) });
console.log("other env P99 idle -> flood (ratio) | healthz max | tight calls, most ms past the deadline | RSS start -> peak -> settled | flood served / shed / lost");
for (let run = 0; run < Number(values.runs); run++) {
  const r = await overload(bench.store.root, mode, (msg) => console.error(msg));
  const other = `${r.idle.other_environment!.p99_ms.toFixed(1)} -> ${r.loaded.other_environment!.p99_ms.toFixed(1)} ms (${(r.loaded.other_environment!.p99_ms / r.idle.other_environment!.p99_ms).toFixed(2)}x)`;
  const failed = Object.entries(r.loaded.other_environment!.statuses).filter(([status]) => status !== "200").length;
  const over = (r.loaded.tight_deadline!.max_ms - r.tight_deadline_ms).toFixed(1);
  console.log(`${other}${failed ? " FAILED" : ""} | ${r.loaded.healthz!.max_ms.toFixed(1)} ms | ${over} ms | ${r.memory.start_rss_mib} -> ${r.memory.peak_rss_mib} -> ${r.memory.settled_rss_mib} MiB | ${r.flood.ok} / ${r.flood.shed} / ${r.flood.other}`);
}
