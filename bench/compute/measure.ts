/**
 * Runs in a child with the host's V8 flags. F: time per row of the same batch
 * through each engine (the V8 engine's isolate, the QuickJS component) and as
 * the same bundle in plain V8 (a vm context, so the bundle's global shims stay
 * out of this process's globals). D: compile the component once, then
 * instantiate several instances, timing each.
 */
import vm from "node:vm";
import { readFileSync } from "node:fs";
import { newHistogram, recordMs, summarize } from "../histogram.ts";
import { timedInstances } from "./warm-instance.ts";
import { startIsolate } from "../../runtime/v8/isolate.ts";
import { freshEntropy } from "../../runtime/guest.ts";

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

type Call = (fn: string, batch: string) => string | Promise<string>;

/**
 * Warm all up, then time calls in alternating slices (the machine's load
 * changes over seconds: every side must see the same share of it). HDR median
 * of a call, per row.
 */
async function perRow(calls: Record<string, Call>, cfg: MeasureConfig) {
  const names = Object.keys(calls);
  for (const name of names) {
    const warmUntil = performance.now() + cfg.ms / 8;
    while (performance.now() < warmUntil) await calls[name]!(cfg.fn, cfg.batch);
  }
  const hists = Object.fromEntries(names.map((n) => [n, newHistogram()]));
  const SLICES = 10;
  for (let slice = 0; slice < SLICES; slice++) {
    for (const name of names) {
      const end = performance.now() + cfg.ms / SLICES;
      do {
        const t = performance.now();
        await calls[name]!(cfg.fn, cfg.batch);
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

const ratio = (a: { us_per_row: number }, b: { us_per_row: number }) => Math.round((a.us_per_row / b.us_per_row) * 100) / 100;

async function main() {
  const cfg = JSON.parse(process.argv[2]!) as MeasureConfig;
  const { guest, compileMs, instantiate: inst, version } = await timedInstances(cfg.store, cfg.env, cfg.instantiations);
  const isolate = await startIsolate(version.bundle!, { memoryLimitBytes: 256 * 2 ** 20 });
  await isolate.reseed(freshEntropy());
  const context = vm.createContext({});
  vm.runInContext(readFileSync(cfg.scriptFile, "utf8"), context);
  const v8Call = vm.runInContext("(fn, batch) => vialEnv.call(fn, batch)", context) as (fn: string, batch: string) => string;
  const expected = v8Call(cfg.fn, cfg.batch);
  for (const [name, got] of [["the component", guest.callSync(cfg.fn, cfg.batch)], ["the isolate", await isolate.call(cfg.fn, cfg.batch)]] as const) {
    if (got !== expected) throw new Error(`${name} and plain V8 disagree on the batch`);
  }
  const times = await perRow({ v8_engine: (fn, batch) => isolate.call(fn, batch), wasm: (fn, batch) => guest.callSync(fn, batch), v8: v8Call }, cfg);
  isolate.dispose();

  process.send!({
    compile_ms: Math.round(compileMs),
    instantiate: summarize(inst),
    compute: {
      rows: cfg.rows,
      ...times,
      // The default engine's ratio (what guest_over_v8 always meant: the guest as vial runs it), and the component's.
      guest_over_v8: ratio(times.v8_engine!, times.v8!),
      wasm_over_v8: ratio(times.wasm!, times.v8!),
    },
  });
}

main().catch((error) => {
  process.send!({ error: String(error?.stack ?? error) });
});
