/**
 * Runs in a child with the host's V8 flags. F: time per row of the same batch
 * inside the component and as the same bundled JS in V8 (a vm context, so the
 * bundle's global shims stay out of this process's globals). D: compile once,
 * then instantiate several instances, timing each.
 */
import vm from "node:vm";
import { readFileSync } from "node:fs";
import { newHistogram, recordMs, summarize } from "../histogram.ts";
import { timedInstances } from "./warm-instance.ts";

export interface MeasureConfig {
  store: string;
  env: string;
  fn: string;
  batch: string;
  rows: number;
  ms: number;
  instantiations: number;
  /** File holding the classic-script bundle that defines vialEnv (bench/bundle.ts). */
  scriptFile: string;
}

type Call = (fn: string, batch: string) => string;

/**
 * Warm both up, then time calls in alternating slices (the machine's load
 * changes over seconds: both sides must see the same share of it). HDR median
 * of a call, per row.
 */
function perRow(calls: Record<string, Call>, cfg: MeasureConfig) {
  const names = Object.keys(calls);
  for (const name of names) {
    const warmUntil = performance.now() + cfg.ms / 8;
    while (performance.now() < warmUntil) calls[name]!(cfg.fn, cfg.batch);
  }
  const hists = Object.fromEntries(names.map((n) => [n, newHistogram()]));
  const SLICES = 10;
  for (let slice = 0; slice < SLICES; slice++) {
    for (const name of names) {
      const end = performance.now() + cfg.ms / SLICES;
      do {
        const t = performance.now();
        calls[name]!(cfg.fn, cfg.batch);
        recordMs(hists[name]!, performance.now() - t);
      } while (performance.now() < end);
    }
  }
  return Object.fromEntries(
    names.map((n) => {
      const s = summarize(hists[n]!);
      return [n, { calls: s.count, p50_ms_per_call: s.p50_ms, us_per_row: Math.round((s.p50_ms / cfg.rows) * 1e6) / 1e3 }];
    }),
  );
}

async function main() {
  const cfg = JSON.parse(process.argv[2]!) as MeasureConfig;
  const { guest, compileMs, instantiate: inst } = await timedInstances(cfg.store, cfg.env, cfg.instantiations);
  const sample = JSON.parse(guest.callSync(cfg.fn, cfg.batch)) as { errors: unknown[] };
  if (sample.errors.length) throw new Error(`guest reported row errors: ${JSON.stringify(sample.errors).slice(0, 200)}`);
  const context = vm.createContext({});
  vm.runInContext(readFileSync(cfg.scriptFile, "utf8"), context);
  const v8Call = vm.runInContext("(fn, batch) => vialEnv.call(fn, batch)", context) as Call;
  const { guest: inGuest, v8 } = perRow({ guest: (fn, batch) => guest.callSync(fn, batch), v8: v8Call }, cfg);

  process.send!({
    compile_ms: Math.round(compileMs),
    instantiate: summarize(inst),
    compute: { rows: cfg.rows, guest: inGuest, v8, guest_over_v8: Math.round((inGuest!.us_per_row / v8!.us_per_row) * 100) / 100 },
  });
}

main().catch((error) => {
  process.send!({ error: String(error?.stack ?? error) });
});
