/**
 * Where the fuzzy transform spends its time, per engine: each piece of it run
 * over 100 rows inside a component and natively. Diagnostic, not part of run.ts.
 *   npx tsx bench/engines/profile.ts [--sm]
 */
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { bundleGuest, componentizeQjs, componentizeSm, HERE as ENCODING } from "../encoding/build.ts";
import { loadComponent } from "../encoding/loader.ts";
import { measure, round, table } from "../encoding/stats.ts";

const HERE = fileURLToPath(new URL(".", import.meta.url));
const WIT = join(ENCODING, "wit-json-string");
const source = await bundleGuest(join(HERE, "profile-guest.ts"));
const engines: Array<[string, Uint8Array]> = [["quickjs", await componentizeQjs(WIT, source)]];
if (process.argv.includes("--sm")) engines.push(["starlingmonkey", await componentizeSm(WIT, source)]);
const native = (await import(`data:text/javascript,${encodeURIComponent(source)}`)) as { call(op: string): string };
const ops = JSON.parse(native.call("list")) as string[];
const budget = { ms: 700, maxIterations: 2000, minIterations: 5, warmup: 3 };
const columns: Record<string, number[]> = {};
for (const [name, component] of engines) {
  const guest = await (await loadComponent(component)).instantiate();
  columns[name] = ops.map((op) => measure(() => guest.call(op), budget).medianUs / 100);
}
columns.V8 = ops.map((op) => measure(() => native.call(op), budget).medianUs / 100);
const names = Object.keys(columns);
console.log(table(["µs per row", ...names, ...names.slice(0, -1).map((n) => `${n} / V8`)], ops.map((op, i) => [
  op,
  ...names.map((n) => round(columns[n][i], 2)),
  ...names.slice(0, -1).map((n) => round(columns[n][i] / Math.max(columns.V8[i], 0.01), 0)),
])));
