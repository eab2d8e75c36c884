/**
 * The guest side of the WIT world: finds the module's transformations and
 * serves describe/reseed/call over JSON text. Bundled into every JS component.
 */
import { TRANSFORMATION, type Transformation } from "./index.ts";
import { checkRow, hasBytes, mapBytes, type FieldSchema, type FunctionSchema } from "./schema.ts";
import { decodeBase64, encodeBase64 } from "./base64.ts";
import { drainConsole, seedRandom } from "./globals.ts";

interface RowError {
  row: number;
  error: string;
}

function isTransformation(value: unknown): value is Transformation {
  return typeof value === "object" && value !== null && (value as Record<symbol, unknown>)[TRANSFORMATION] === true;
}

/** Converts bytes fields of each row (in place) between wire and guest form. */
function convertBytes(fields: FieldSchema[], rows: Array<Record<string, unknown> | null>, convert: (b: unknown) => unknown) {
  const withBytes = fields.filter((f) => hasBytes(f.type));
  if (withBytes.length === 0) return;
  for (const row of rows) {
    if (row === null) continue;
    for (const f of withBytes) row[f.name] = mapBytes(f.type, row[f.name], convert);
  }
}

/** Reduces a thrown value to one line for the caller. */
const message = (error: unknown): string =>
  error instanceof Error ? `${error.name}: ${error.message}` : `thrown: ${String(error)}`;

export function createEnvironment(userModule: Record<string, unknown>) {
  const functions = new Map<string, Transformation>();
  for (const [name, value] of Object.entries(userModule)) {
    if (isTransformation(value)) functions.set(name, value);
  }

  function describe(): string {
    const list: FunctionSchema[] = [...functions].map(([name, f]) => ({
      name,
      mode: f.mode,
      inputs: f.inputs,
      outputs: f.outputs,
    }));
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
    const fn = functions.get(name);
    if (!fn) throw `no function '${name}' in this environment (has: ${[...functions.keys()].join(", ")})`;
    const rows = JSON.parse(batch) as Array<Record<string, unknown>>;
    convertBytes(fn.inputs, rows, decodeBase64);
    let results: ReturnType<Transformation["run"]>;
    try {
      results = fn.run(rows as never);
    } catch (error) {
      throw `${name}: ${message(error)}`;
    }
    if (!Array.isArray(results) || results.length !== rows.length) {
      throw `${name}: batchHandler returned ${Array.isArray(results) ? results.length : typeof results} rows for ${rows.length} input rows`;
    }
    const errors: RowError[] = [];
    const out = results.map((result, row) => {
      const problem = result instanceof Error ? message(result) : checkRow(fn.outputs, result, "binary");
      if (problem === null) return result as Record<string, unknown>;
      errors.push({ row, error: result instanceof Error ? problem : `output ${problem}` });
      return null;
    });
    convertBytes(fn.outputs, out, encodeBase64);
    const logs = drainConsole();
    return JSON.stringify(logs.length ? { rows: out, errors, logs } : { rows: out, errors });
  }

  return { describe, reseed: seedRandom, call };
}
