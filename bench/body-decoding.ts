/**
 * What decoding a request body costs the executor: `decodeBody` (with its
 * checks) and the input rows' schema check, on a 10-row body and a 1 MiB one,
 * in JSON and CBOR. cbor-x runs without its native string extractor, as in an
 * executor. Prints the fastest time per body (the least disturbed by other
 * work on the machine) and MiB/s.
 *   npx tsx bench/body-decoding.ts [--ms 2000]
 */
import { parseArgs } from "node:util";
import { fuzzyRows } from "./rows.ts";
import type { FieldSchema } from "../runtime/schema.ts";

process.env.CBOR_NATIVE_ACCELERATION_DISABLED = "true";
const { decodeBody, rowsOf } = await import("../runtime/codec.ts");
const { prepareInputs } = await import("../executor/rows.ts");
const { Encoder } = await import("cbor-x");

const { values } = parseArgs({ options: { ms: { type: "string", default: "2000" } } });
const BUDGET_MS = Number(values.ms);
const cbor = new Encoder({ useRecords: false, mapsAsObjects: true, tagUint8Array: false });

const FIELDS: FieldSchema[] = [
  { name: "text", type: "string" },
  { name: "id", type: "int64" },
  { name: "score", type: "float64" },
  { name: "tags", type: { array: "string" } },
];
const rows = (n: number) => fuzzyRows(n).map((row, i) => ({ ...row, id: i, score: i / 7, tags: ["a", `t${i % 13}`] }));
const MIB = 2 ** 20;
/** As many rows as fill about 1 MiB of JSON. */
const MIB_ROWS = Math.floor(MIB / JSON.stringify(rows(1000)).length * 1000);

const bodies = {
  "10 rows": rows(10),
  [`1 MiB (${MIB_ROWS} rows)`]: rows(MIB_ROWS),
};

function timePerCall(work: () => void): number {
  for (let i = 0; i < 20; i++) work();
  let fastest = Infinity;
  const end = performance.now() + BUDGET_MS;
  while (performance.now() < end) {
    const start = performance.now();
    work();
    fastest = Math.min(fastest, performance.now() - start);
  }
  return fastest;
}

console.log(`| body | format | bytes | decode µs | decode MiB/s | decode + row check µs |`);
console.log(`| --- | --- | ---: | ---: | ---: | ---: |`);
for (const [name, batch] of Object.entries(bodies)) {
  for (const format of ["json", "cbor"] as const) {
    const body = format === "json" ? Buffer.from(JSON.stringify({ rows: batch })) : new Uint8Array(cbor.encode({ rows: batch }));
    const decode = timePerCall(() => decodeBody(format, body));
    const both = timePerCall(() => prepareInputs(FIELDS, rowsOf(decodeBody(format, body))));
    const mibPerS = body.length / MIB / (decode / 1000);
    console.log(`| ${name} | ${format} | ${body.length} | ${(decode * 1000).toFixed(1)} | ${mibPerS.toFixed(0)} | ${(both * 1000).toFixed(1)} |`);
  }
}
