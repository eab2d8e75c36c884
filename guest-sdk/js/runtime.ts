/**
 * The guest side of the WIT world: finds the module's transformations and
 * serves describe/reseed/call over JSON text. Bundled into every JS component.
 *
 * The interpreter pays for every operation, so per-function work (which fields
 * change form at the boundary, how to check each output field) is prepared
 * once (boundary.ts), and a row pays only for plain type tests; the detailed
 * message is built for failing rows.
 */
import { TRANSFORMATION, type Transformation } from "./index.ts";
import { checkRow, type FunctionSchema } from "../../runtime/schema.ts";
import { compileCheck, inputConversions, outputConversions, type Check, type Conversion } from "./boundary.ts";
import { ColumnsError } from "./columns.ts";
import { drainConsole, seedRandom } from "./globals.ts";

type Row = Record<string, unknown>;

interface Prepared {
  fn: Transformation;
  inputConversions: Conversion[];
  outputConversions: Conversion[];
  outputNames: string[];
  outputChecks: Check[];
}

function isTransformation(value: unknown): value is Transformation {
  return typeof value === "object" && value !== null && (value as Record<symbol, unknown>)[TRANSFORMATION] === true;
}

function prepare(fn: Transformation): Prepared {
  return {
    fn,
    inputConversions: inputConversions(fn.inputs),
    outputConversions: outputConversions(fn.outputs),
    outputNames: fn.outputs.map((f) => f.name),
    outputChecks: fn.outputs.map((f) => compileCheck(f.type)),
  };
}

function fitsOutput(p: Prepared, row: unknown): boolean {
  if (typeof row !== "object" || row === null || Array.isArray(row)) return false;
  for (let f = 0; f < p.outputChecks.length; f++) {
    const name = p.outputNames[f];
    if (!p.outputChecks[f](Object.hasOwn(row, name) ? (row as Row)[name] : undefined)) return false;
  }
  return true;
}

/**
 * A checked output row in wire form. A copy: the function's object may be
 * frozen, or returned for several rows. Keys it does not declare stay, for
 * the host to count.
 */
function toWire(conversions: Conversion[], result: Row): Row {
  const row = { ...result };
  for (const { name, convert } of conversions) row[name] = convert(result[name]);
  return row;
}

/** Reduces a thrown value to one line for the caller. */
const message = (error: unknown): string =>
  error instanceof ColumnsError ? error.message : error instanceof Error ? `${error.name}: ${error.message}` : `thrown: ${String(error)}`;

export function createEnvironment(userModule: Record<string, unknown>) {
  const functions = new Map<string, Prepared>();
  for (const [name, value] of Object.entries(userModule)) {
    if (isTransformation(value)) functions.set(name, prepare(value));
  }

  function describe(): string {
    const list: FunctionSchema[] = [...functions].map(([name, { fn }]) => ({ name, mode: fn.mode, inputs: fn.inputs, outputs: fn.outputs }));
    return JSON.stringify({ functions: list });
  }

  /** A throw here is the WIT `err`: it must carry a string. */
  function call(name: string, batch: string): string {
    try {
      return run(name, batch);
    } catch (error) {
      throw typeof error === "string" ? error : message(error);
    }
  }

  function run(name: string, batch: string): string {
    const p = functions.get(name);
    if (!p) throw `no function '${name}' in this environment (has: ${[...functions.keys()].join(", ")})`;
    const rows = JSON.parse(batch) as Row[];
    if (p.inputConversions.length) {
      for (const row of rows) for (const { name, convert } of p.inputConversions) row[name] = convert(row[name]);
    }
    let results: unknown[];
    try {
      results = p.fn.run(rows as never);
    } catch (error) {
      throw `${name}: ${message(error)}`;
    }
    if (!Array.isArray(results) || results.length !== rows.length) {
      throw `${name}: batchHandler returned ${Array.isArray(results) ? results.length : typeof results} rows for ${rows.length} input rows`;
    }
    const errors: Array<{ row: number; error: string }> = [];
    const out = new Array<Row | null>(results.length);
    for (let i = 0; i < results.length; i++) {
      const result = results[i];
      if (result instanceof Error) {
        errors.push({ row: i, error: message(result) });
        out[i] = null;
      } else if (fitsOutput(p, result)) {
        out[i] = p.outputConversions.length ? toWire(p.outputConversions, result as Row) : (result as Row);
      } else {
        errors.push({ row: i, error: `output ${checkRow(p.fn.outputs, result, "guest")}` });
        out[i] = null;
      }
    }
    const logs = drainConsole();
    return JSON.stringify(logs.length ? { rows: out, errors, logs } : { rows: out, errors });
  }

  return { describe, reseed: seedRandom, call };
}
