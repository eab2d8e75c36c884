/** A batch's results as a readable table: each input row beside its output or its error. */
import type { FunctionSchema } from "../runtime/schema.ts";

const MAX_CELL = 40;

function cell(value: unknown): string {
  const text = value === undefined ? "" : typeof value === "string" ? value : JSON.stringify(value);
  return text.length > MAX_CELL ? `${text.slice(0, MAX_CELL - 1)}…` : text;
}

export function resultTable(schema: FunctionSchema, inputs: unknown[], result: { rows: Array<Record<string, unknown> | null>; errors: Array<{ row: number; error: string }> }): string {
  const ins = schema.inputs.map((f) => f.name);
  const outs = schema.outputs.map((f) => f.name);
  const header = ["#", ...ins.map((n) => `in.${n}`), "→", ...outs.map((n) => `out.${n}`)];
  const errors = new Map(result.errors.map((e) => [e.row, e.error]));
  const lines = inputs.map((input, i) => {
    const row = (input ?? {}) as Record<string, unknown>;
    const out = result.rows[i];
    const outputs = out ? outs.map((n) => cell(out[n])) : [`error: ${errors.get(i) ?? "no result"}`];
    return [String(i), ...ins.map((n) => cell(row[n])), "→", ...outputs];
  });
  // A failed row's error is its last cell: it runs on without widening a column.
  const widths = header.map((h, c) => Math.max(h.length, ...lines.map((l, i) => (!result.rows[i] && c === l.length - 1 ? 0 : (l[c] ?? "").length))));
  const pad = (line: string[]) => line.map((v, c) => (c === line.length - 1 ? v : v.padEnd(widths[c]!))).join("  ");
  const summary = `${inputs.length - result.errors.length} of ${inputs.length} rows ok${result.errors.length ? `, ${result.errors.length} failed` : ""}`;
  return [pad(header), ...lines.map(pad), summary].join("\n");
}
