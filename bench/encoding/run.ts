/**
 * Encoding benchmark: how a batch of rows should cross the component boundary.
 * Each variant is a real component (own WIT world + guest under wit-<name>/),
 * loaded like the host loads a version; one batch = host encode + call + host
 * decode. Writes bench/results/encoding.json.
 *
 *   npx tsx bench/encoding/run.ts [--quick]
 */
import { writeFile, mkdir } from "node:fs/promises";
import { join } from "node:path";
import { isDeepStrictEqual } from "node:util";
import { encode as cborEncode, decode as cborDecode, isNativeAccelerationEnabled } from "cbor-x";
import { bundleGuest, componentizeQjs, componentizeSm, HERE } from "./build.ts";
import { loadComponent, type Exports } from "./loader.ts";
import { makeRows, touch, type Row } from "./row.ts";
import { machine, measure, round, table, type Budget } from "./stats.ts";

const QUICK = process.argv.includes("--quick");
const SIZES = [1, 100, 10_000];
const BUDGET: Budget = QUICK
  ? { ms: 300, maxIterations: 500, minIterations: 5, warmup: 3 }
  : { ms: 2500, maxIterations: 5000, minIterations: 10, warmup: 3 };

const te = new TextEncoder();
const td = new TextDecoder();

/** Host side of a variant: rows -> call argument, call result -> rows. */
interface Codec {
  encode(rows: Row[]): unknown;
  decode(out: any): Row[];
}

const CODECS: Record<string, Codec> = {
  "json-string": { encode: (rows) => JSON.stringify(rows), decode: (out: string) => JSON.parse(out) },
  "json-bytes": { encode: (rows) => te.encode(JSON.stringify(rows)), decode: (out: Uint8Array) => JSON.parse(td.decode(out)) },
  cbor: { encode: (rows) => cborEncode(rows), decode: (out: Uint8Array) => cborDecode(out) },
  // jco maps s64 to BigInt: the host pays a conversion each way.
  records: {
    encode: (rows) => rows.map((r) => ({ text: r.text, n: BigInt(r.n), x: r.x })),
    decode: (out: Array<{ text: string; n: bigint; x: number }>) => out.map((r) => ({ text: r.text, n: Number(r.n), x: r.x })),
  },
  columns: {
    encode: (rows) => ({
      text: rows.map((r) => r.text),
      n: BigInt64Array.from(rows, (r) => BigInt(r.n)),
      x: Float64Array.from(rows, (r) => r.x),
    }),
    decode: (out: { text: string[]; n: BigInt64Array; x: Float64Array }) =>
      out.text.map((text, i) => ({ text, n: Number(out.n[i]), x: out.x[i] })),
  },
};

interface Variant {
  name: string;
  engine: "quickjs" | "starlingmonkey";
}

const VARIANTS: Variant[] = [
  ...Object.keys(CODECS).map((name) => ({ name, engine: "quickjs" as const })),
  { name: "json-string", engine: "starlingmonkey" },
];

async function buildVariant(v: Variant) {
  const dir = join(HERE, `wit-${v.name}`);
  const source = await bundleGuest(join(dir, "guest.ts"));
  const t0 = performance.now();
  const component = v.engine === "quickjs" ? await componentizeQjs(dir, source) : await componentizeSm(dir, source);
  return { component, buildMs: Math.round(performance.now() - t0) };
}

async function main() {
  console.log(`building ${VARIANTS.length} components...`);
  // SpiderMonkey's build is the slow one (Wizer in a child process): overlap it with the QuickJS builds.
  const builds = await Promise.all(VARIANTS.map(buildVariant));
  const results: Array<Record<string, unknown>> = [];
  const components: Record<string, unknown> = {};

  for (const [i, v] of VARIANTS.entries()) {
    const id = `${v.name}/${v.engine}`;
    const { component, buildMs } = builds[i];
    const loaded = await loadComponent(component);
    const exports: Exports = await loaded.instantiate();
    components[id] = { componentBytes: component.length, buildMs, compileMs: round(loaded.compileMs) };
    const codec = CODECS[v.name];
    for (const size of SIZES) {
      const rows = makeRows(size);
      const expected = rows.map(touch);
      const got = codec.decode(exports.call(codec.encode(rows)));
      if (!isDeepStrictEqual(got, expected)) throw new Error(`${id}: wrong output for ${size} rows`);
      let enc = 0, call = 0, dec = 0, calls = 0;
      const stats = measure(() => {
        const t0 = performance.now();
        const arg = codec.encode(rows);
        const t1 = performance.now();
        const out = exports.call(arg);
        const t2 = performance.now();
        codec.decode(out);
        const t3 = performance.now();
        enc += t1 - t0; call += t2 - t1; dec += t3 - t2; calls++;
      }, BUDGET);
      const us = (ms: number) => round((ms / calls) * 1000);
      results.push({ variant: v.name, engine: v.engine, rows: size, ...stats, meanEncodeUs: us(enc), meanCallUs: us(call), meanDecodeUs: us(dec) });
      console.log(`${id.padEnd(30)} ${String(size).padStart(6)} rows: median ${stats.medianUs} µs, p99 ${stats.p99Us} µs (${stats.iterations} it.)`);
    }
  }

  // Ratios against the current contract (JSON string, QuickJS) at the same batch size.
  const base = (rows: number) => results.find((r) => r.variant === "json-string" && r.engine === "quickjs" && r.rows === rows)!;
  for (const r of results) {
    const b = base(r.rows as number);
    r.medianRatio = round((r.medianUs as number) / (b.medianUs as number), 2);
    r.p99Ratio = round((r.p99Us as number) / (b.p99Us as number), 2);
  }

  const header = ["variant", "engine", ...SIZES.flatMap((s) => [`${s} rows median µs (x)`, `p99 µs`])];
  const lines = VARIANTS.map((v) => [
    v.name,
    v.engine,
    ...SIZES.flatMap((s) => {
      const r = results.find((x) => x.variant === v.name && x.engine === v.engine && x.rows === s)!;
      return [`${r.medianUs} (${r.medianRatio}x)`, `${r.p99Us}`];
    }),
  ]);
  console.log("\n" + table(header, lines));

  const out = {
    benchmark: "encoding",
    command: "npx tsx bench/encoding/run.ts" + (QUICK ? " --quick" : ""),
    machine: machine(),
    date: new Date().toISOString(),
    row: "{text: string (20-60 chars, some non-ASCII), n: int, x: float}; guest decodes, touches every field, encodes",
    measured: "host encode + component call + host decode, one warm instance per variant",
    hostCborNative: isNativeAccelerationEnabled,
    budget: BUDGET,
    components,
    results,
    table: table(header, lines),
  };
  const file = join(HERE, "../results/encoding.json");
  await mkdir(join(file, ".."), { recursive: true });
  await writeFile(file, JSON.stringify(out, null, 2) + "\n");
  console.log(`\nwrote ${file}`);
}

await main();
