/**
 * One batch of a run through a worker. The batch goes as one JSON body, the
 * way a client sends it; what the executor refuses as a whole is narrowed
 * down to the rows that caused it, so one bad row costs that row, not its
 * batch:
 * - a body that is not valid JSON, a row that breaks the input schema, rows
 *   that did not come back one for one: each row is checked alone (the same
 *   schema check, executor/rows.ts), the bad ones become errors naming their
 *   field, the rest go again;
 * - a call that failed whole (trap, deadline, memory) for a row function is
 *   split in halves until the rows that fail it are found; a batch function
 *   fails its batch, as it does over HTTP.
 */
import { checkRow, type FunctionSchema } from "../runtime/schema.ts";
import type { InputRow } from "./formats/format.ts";
import type { OutputRow } from "./formats/outputs.ts";
import type { Worker } from "./workers.ts";

export interface RunRowError {
  /** The row's index in the input file (0-based), and its line where the format has lines. */
  row: number;
  line?: number;
  error: string;
}

export interface BatchResult {
  rows: OutputRow[];
  errors: RunRowError[];
}

const encoder = new TextEncoder();

const bodyOf = (rows: InputRow[], at: number[]): Uint8Array => encoder.encode(`{"rows":[${at.map((i) => rows[i]!.json).join(",")}]}`);

/** Why the executor would refuse this row alone, or null. */
function inputProblem(fn: FunctionSchema, json: string): string | null {
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch (error) {
    return `not valid JSON: ${(error as Error).message}`;
  }
  return checkRow(fn.inputs, value, "wire");
}

export async function runBatch(worker: Worker, fn: FunctionSchema, rows: InputRow[]): Promise<BatchResult> {
  const out: OutputRow[] = new Array<OutputRow>(rows.length).fill(null);
  const errors: RunRowError[] = [];
  const fail = (i: number, error: string) => {
    const { index, line } = rows[i]!;
    errors.push(line === undefined ? { row: index, error } : { row: index, line, error });
  };

  const attempt = async (at: number[]): Promise<void> => {
    if (at.length === 0) return;
    const result = await worker.call(fn.name, bodyOf(rows, at));
    if (result.ok && result.rows.length === at.length) {
      result.rows.forEach((row, k) => (out[at[k]!] = row as OutputRow));
      for (const e of result.errors) fail(at[e.row]!, e.error);
      return;
    }
    const refusedInput = result.ok || result.error.code === "invalid_row" || result.error.code === "bad_request";
    const reason = result.ok ? `the batch's ${at.length} rows came back as ${result.rows.length}` : result.error.message;
    if (refusedInput) {
      const good = at.filter((i) => {
        const problem = inputProblem(fn, rows[i]!.json);
        if (problem) fail(i, problem);
        return !problem;
      });
      // Every row passes alone, yet the batch was refused: fail them with the executor's reason rather than loop.
      if (good.length === at.length) return at.forEach((i) => fail(i, reason));
      return attempt(good);
    }
    if (fn.mode === "batch" || at.length === 1) return at.forEach((i) => fail(i, reason));
    const half = at.length >> 1;
    await attempt(at.slice(0, half));
    await attempt(at.slice(half));
  };

  await attempt(rows.map((_, i) => i));
  errors.sort((a, b) => a.row - b.row);
  return { rows: out, errors };
}
