/**
 * Runs in a child with the host's V8 flags. F for Python: time per row of the
 * same batch inside the Python component (instantiated as the host does, with
 * the Python grants) and in native CPython (a long-lived worker running the
 * same module through the same dispatcher, timed inside Python), in
 * alternating slices. Also the instantiate times of the Python component.
 */
import { newHistogram, recordMs, summarize } from "../histogram.ts";
import { timedInstances } from "./warm-instance.ts";
import { PythonWorker } from "../python/workers.ts";

export interface PythonMeasureConfig {
  store: string;
  env: string;
  module: string;
  fn: string;
  batch: string;
  rows: number;
  ms: number;
  instantiations: number;
}

/** Equal, floats within a few ulps: the guest's libm (wasi-libc) and glibc's may round the last bit differently. */
function same(a: unknown, b: unknown): boolean {
  if (typeof a === "number" && typeof b === "number") return a === b || Math.abs(a - b) <= 1e-12 * Math.max(Math.abs(a), Math.abs(b));
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => same(x, b[i]));
  if (a && b && typeof a === "object" && typeof b === "object") {
    const [ka, kb] = [Object.keys(a).sort(), Object.keys(b).sort()];
    return same(ka, kb) && ka.every((k) => same((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
  }
  return a === b;
}

async function main() {
  const cfg = JSON.parse(process.argv[2]!) as PythonMeasureConfig;
  const { guest, compileMs, instantiate: inst } = await timedInstances(cfg.store, cfg.env, cfg.instantiations);
  const native = await PythonWorker.start(cfg.module);
  try {
    const fromGuest = JSON.parse(guest.callSync(cfg.fn, cfg.batch)) as { rows: unknown[]; errors: unknown[] };
    const fromNative = JSON.parse(await native.call(cfg.fn, cfg.batch)) as { rows: unknown[]; errors: unknown[] };
    if (fromGuest.errors.length) throw new Error(`guest reported row errors: ${JSON.stringify(fromGuest.errors).slice(0, 200)}`);
    if (!same(fromGuest.rows, fromNative.rows)) throw new Error("the guest and CPython disagree on the batch");

    // Warm-up, then alternating slices (see measure.ts): both sides see the same share of the machine's load.
    const warmUntil = performance.now() + cfg.ms / 8;
    for (let i = 0; i < 10 || performance.now() < warmUntil; i++) guest.callSync(cfg.fn, cfg.batch);
    await native.time(cfg.fn, cfg.batch, cfg.ms / 8);
    const hists = { guest: newHistogram(), cpython: newHistogram() };
    const SLICES = 10;
    for (let slice = 0; slice < SLICES; slice++) {
      const end = performance.now() + cfg.ms / SLICES;
      do {
        const start = performance.now();
        guest.callSync(cfg.fn, cfg.batch);
        recordMs(hists.guest, performance.now() - start);
      } while (performance.now() < end);
      for (const ms of await native.time(cfg.fn, cfg.batch, cfg.ms / SLICES)) recordMs(hists.cpython, ms);
    }
    const perRow = (h: ReturnType<typeof newHistogram>) => {
      const s = summarize(h);
      return { calls: s.count, p50_ms_per_call: s.p50_ms, us_per_row: Math.round((s.p50_ms / cfg.rows) * 1e6) / 1e3 };
    };
    const inGuest = perRow(hists.guest);
    const cpython = perRow(hists.cpython);
    process.send!({
      env: cfg.env,
      compile_ms: Math.round(compileMs),
      instantiate: summarize(inst),
      compute: { rows: cfg.rows, guest: inGuest, cpython, guest_over_cpython: Math.round((inGuest.us_per_row / cpython.us_per_row) * 100) / 100 },
    });
  } finally {
    native.stop();
  }
}

main().catch((error) => {
  process.send!({ error: String(error?.stack ?? error) });
});
