/**
 * `vial deploy --sample rows.json`: sample rows run through the built version before it is published, with the
 * checks every call gets (executor/rows.ts), and must pass: a sample row the schema refuses, a batch the function
 * rejects, or a row that fails stops the deploy with what failed. Output keys a function returns but does not
 * declare are dropped at serve time: here they are a warning, naming them.
 *
 * The file maps function names to rows, `{"score": [{...}, ...]}`; for a module with one function a list of rows
 * (or `{"rows": [...]}`) will do.
 */
import { readFile } from "node:fs/promises";
import type { FunctionSchema } from "../runtime/schema.ts";
import { checkOutputs, prepareInputs, type RowError } from "../executor/rows.ts";
import { ApiError } from "../runtime/errors.ts";
import { instantiateVersion, type RunnableVersion } from "../runtime/instantiate.ts";
import { VialError } from "./errors.ts";

export type Samples = Map<string, unknown[]>;

/** Reads a samples file against the module's functions; a file that names no function of the module is refused. */
export async function readSamples(file: string, functions: FunctionSchema[]): Promise<Samples> {
  let value: unknown;
  try {
    value = JSON.parse(await readFile(file, "utf8"));
  } catch (error) {
    throw new VialError(`--sample ${file}: ${(error as Error).message}`);
  }
  const only = functions.length === 1 ? functions[0]!.name : undefined;
  const rows = Array.isArray(value) ? value : isRecord(value) && Array.isArray(value.rows) && Object.keys(value).length === 1 ? value.rows : undefined;
  if (rows) {
    if (!only) throw new VialError(`--sample ${file}: the module has ${functions.length} functions: map each name to its rows, {"${functions[0]?.name}": [...]}`);
    return new Map([[only, rows]]);
  }
  if (!isRecord(value)) throw new VialError(`--sample ${file}: expected {"<function>": [rows]} or a list of rows`);
  const samples: Samples = new Map();
  for (const [fn, list] of Object.entries(value)) {
    if (!functions.some((f) => f.name === fn)) throw new VialError(`--sample ${file}: the module has no function '${fn}' (has: ${functions.map((f) => f.name).join(", ")})`);
    if (!Array.isArray(list)) throw new VialError(`--sample ${file}: '${fn}' must map to a list of rows`);
    samples.set(fn, list);
  }
  return samples;
}

/** Runs every sample; throws the first failure; returns the warnings (undeclared output keys). */
export async function runSamples(version: RunnableVersion, functions: FunctionSchema[], samples: Samples): Promise<string[]> {
  const guest = await instantiateVersion(version, { engine: "component" });
  const warnings: string[] = [];
  try {
    for (const [name, rows] of samples) {
      const fn = functions.find((f) => f.name === name)!;
      const inputs = asDeployError(name, () => prepareInputs(fn.inputs, rows));
      let envelope: { rows: unknown[]; errors: RowError[] };
      try {
        envelope = JSON.parse(await guest.call(name, JSON.stringify(inputs)));
      } catch (error) {
        throw new VialError(`sample rows of ${name}: the function rejected the batch: ${(error as Error).message}`);
      }
      const errors = [...envelope.errors];
      checkOutputs(fn.outputs, envelope.rows, errors);
      const failed = errors.sort((a, b) => a.row - b.row)[0];
      if (failed) throw new VialError(`sample row ${failed.row} of ${name} failed: ${failed.error}`);
      const declared = new Set(fn.outputs.map((f) => f.name));
      const extra = new Set(envelope.rows.flatMap((row) => (isRecord(row) ? Object.keys(row).filter((key) => !declared.has(key)) : [])));
      if (extra.size > 0) warnings.push(`${name} returns ${[...extra].map((k) => `'${k}'`).join(", ")}, which its outputs do not declare: they are dropped (declare them to return them)`);
    }
  } finally {
    guest.stop();
  }
  return warnings;
}

function asDeployError<T>(fn: string, run: () => T): T {
  try {
    return run();
  } catch (error) {
    if (error instanceof ApiError) throw new VialError(`sample rows of ${fn}: ${error.message.replace(/ \(rows must match.*$/, "")}`);
    throw error;
  }
}

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === "object" && value !== null && !Array.isArray(value);
