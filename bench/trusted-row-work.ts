/**
 * What a call's trusted per-row work costs the executor, without the guest: decode the body, prepare the input
 * rows, serialize the batch, parse the guest's envelope, check the output rows, encode the answer. On the
 * fuzzy example's schema (10 and 1,000 rows, JSON and CBOR) and on a schema of the nested types. `--root` times
 * another checkout's code (a copy of an earlier commit), so two versions can be measured alternately on one
 * machine. Prints the fastest time per call (the least disturbed by other work).
 *   npx tsx bench/trusted-row-work.ts [--ms 1000] [--root <checkout>] [--nested]
 */
import { parseArgs } from "node:util";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { fuzzyRows } from "./rows.ts";
import type { FieldSchema } from "../runtime/schema.ts";

process.env.CBOR_NATIVE_ACCELERATION_DISABLED = "true";
const { values } = parseArgs({ options: { ms: { type: "string", default: "1000" }, root: { type: "string" }, nested: { type: "boolean", default: false } } });
const root = pathToFileURL(resolve(values.root ?? new URL("..", import.meta.url).pathname) + "/").href;
const codec = (await import(`${root}runtime/codec.ts`)) as typeof import("../runtime/codec.ts");
const rowWork = (await import(`${root}executor/rows.ts`)) as typeof import("../executor/rows.ts");
const { Encoder } = await import("cbor-x");
const cbor = new Encoder({ useRecords: false, mapsAsObjects: true, tagUint8Array: false });

interface Case {
  inputs: FieldSchema[];
  outputs: FieldSchema[];
  rows: (n: number) => unknown[];
  /** What the guest would return for one input row, as its envelope holds it. */
  output: (row: unknown, i: number) => unknown;
}

const FUZZY: Case = {
  inputs: [{ name: "text", type: "string" }],
  outputs: [
    { name: "similarity", type: "int64" },
    { name: "partial_similarity", type: "int64" },
  ],
  rows: fuzzyRows,
  output: (_, i) => ({ similarity: 40 + (i % 50), partial_similarity: 60 + (i % 30) }),
};

const NESTED: Case = {
  inputs: [
    { name: "request", type: { struct: [{ name: "amount", type: "float32" }, { name: "at", type: "timestamp" }] } },
    { name: "user_stats", type: { struct: [{ name: "avg_amount", type: "float64" }, { name: "tags", type: { map: "int32" } }] } },
  ],
  outputs: [
    { name: "ratio", type: { nonFinite: "float64" } },
    { name: "seen", type: "timestamp" },
  ],
  rows: (n) =>
    Array.from({ length: n }, (_, i) => ({
      request: { amount: 12.5 + i, at: "2026-12-06T21:34:49.123456+01:00" },
      user_stats: { avg_amount: i % 7, tags: { a: i, b: 2 } },
    })),
  output: (_, i) => ({ ratio: i % 7 === 0 ? "Infinity" : 12.5 / (i % 7), seen: "2026-12-06T20:34:49.123456Z" }),
};

function timePerCall(work: () => void): number {
  for (let i = 0; i < 20; i++) work();
  let fastest = Infinity;
  const end = performance.now() + Number(values.ms);
  while (performance.now() < end) {
    const start = performance.now();
    work();
    fastest = Math.min(fastest, performance.now() - start);
  }
  return fastest;
}

const scenario = values.nested ? NESTED : FUZZY;
for (const n of [10, 1000]) {
  const rows = scenario.rows(n);
  const envelope = JSON.stringify({ rows: rows.map(scenario.output), errors: [] });
  for (const format of ["json", "cbor"] as const) {
    const body = format === "json" ? Buffer.from(JSON.stringify({ rows })) : new Uint8Array(cbor.encode({ rows }));
    const call = () => {
      const inputs = rowWork.prepareInputs(scenario.inputs, codec.rowsOf(codec.decodeBody(format, body)), 2 ** 28);
      JSON.stringify(inputs);
      const guest = JSON.parse(envelope) as { rows: unknown[]; errors: [] };
      const checked = rowWork.checkOutputs(scenario.outputs, guest.rows, guest.errors);
      // Absent from checkouts that do not count undeclared keys.
      (rowWork as Partial<typeof rowWork>).undeclaredKeys?.(scenario.outputs, guest.rows);
      const answer = { rows: format === "cbor" ? rowWork.bytesToBinary(scenario.outputs, checked) : checked, errors: guest.errors };
      codec.encodeBody(format, answer);
    };
    console.log(`${values.nested ? "nested" : "fuzzy"} ${n} rows ${format}: ${(timePerCall(call) * 1000).toFixed(1)} µs`);
  }
}
