/**
 * The same transformation JS, run natively in V8: the exact bundle the guest
 * gets (same esbuild options, same fuzzball build), plus the user module's
 * exports. Its own process, since the guest globals it installs (console,
 * Math.random, self) must not leak into the benchmark host.
 *   node --import tsx bench/engines/native.ts '<json config>'
 */
import { pathToFileURL } from "node:url";
import { makeRows } from "../encoding/row.ts";
import { measure, round } from "../encoding/stats.ts";

interface NativeBundle {
  env: { call(fn: string, batch: string): string };
  user: Record<string, { run(rows: unknown[]): unknown[] }>;
}

const { bundles, rows: count, ms } = JSON.parse(process.argv[2]) as { bundles: Record<string, string>; rows: number; ms: number };
const rows = makeRows(count).map(({ text }) => ({ text }));
const batch = JSON.stringify(rows);
const budget = { ms, maxIterations: 100_000, minIterations: 20, warmup: 50 };
const out: Record<string, unknown> = {};
for (const [fn, file] of Object.entries(bundles)) {
  const { env, user } = (await import(pathToFileURL(file).href)) as NativeBundle;
  const handler = measure(() => void user[fn].run(rows), budget);
  const runtime = measure(() => void JSON.parse(env.call(fn, batch)), budget);
  out[fn] = { handler, runtime, perRowUs: round(handler.medianUs / count, 3), runtimePerRowUs: round(runtime.medianUs / count, 3) };
}
process.stdout.write(JSON.stringify(out) + "\n");
