// Pieces of the fuzzy transform, one per op name, each over the same texts: which part is slow in the guest?
import { ratio, partial_ratio, full_process } from "fuzzball";
import { makeRows } from "../encoding/row.ts";

const BASELINE = "Mocha Cheesecake Fudge Brownie Bars";
const texts = makeRows(100).map((r) => r.text);
const RAW = { full_process: false, normalize: false };
const unicodeClass = /[^\p{L}\p{N}]/gu;

const OPS: Record<string, (s: string) => unknown> = {
  noop: (s) => s.length,
  normalize: (s) => s.normalize(),
  toLowerCase: (s) => s.toLowerCase(),
  "regex \\p{L}\\p{N} /gu": (s) => s.replace(unicodeClass, " "),
  full_process: (s) => full_process(s),
  "ratio (raw strings)": (s) => ratio(BASELINE, s, RAW),
  ratio: (s) => ratio(BASELINE, s),
  "partial_ratio (raw strings)": (s) => partial_ratio(BASELINE, s, RAW),
  partial_ratio: (s) => partial_ratio(BASELINE, s),
};

export function call(op: string): string {
  if (op === "list") return JSON.stringify(Object.keys(OPS));
  const f = OPS[op];
  let sink = 0;
  for (const s of texts) sink += String(f(s)).length;
  return String(sink);
}
