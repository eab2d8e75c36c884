/**
 * `vial test <module> --env <env> [--fn <name>] --rows <file>`: builds the
 * module as a deploy would, into a temporary store, runs the rows through
 * it in a real executor (no server, nothing published) and prints the
 * results: one `{"rows", "errors"}` document with --json, a table without.
 * Exits 1 when the build fails, a row does not fit the input schema, or any row failed.
 */
import { createHost } from "../host/host.ts";
import { createLogger } from "../host/logger.ts";
import { Store } from "../builds/store.ts";
import { trialBuild } from "../builds/trial.ts";
import { VialError } from "../builds/errors.ts";
import { ApiError } from "../runtime/errors.ts";
import { readRows } from "./rows-file.ts";
import type { FunctionSchema } from "../runtime/schema.ts";
import { resultTable } from "./table.ts";
import { createProgress } from "./progress.ts";

export interface TestCommandOptions {
  env: string;
  fn?: string;
  rows: string;
  json?: boolean;
  deadline?: string;
  store?: string;
}

export async function testCommand(modulePath: string, opts: TestCommandOptions): Promise<void> {
  const rows = await readRows(opts.rows);
  const deadlineMs = opts.deadline === undefined ? undefined : Number(opts.deadline);
  if (deadlineMs !== undefined && !(deadlineMs > 0)) throw new VialError(`--deadline must be a positive number of milliseconds, got '${opts.deadline}'`);
  const progress = createProgress();
  progress(`building ${modulePath} for '${opts.env}' (not published)`);
  const trial = await progress.track(trialBuild({ store: new Store(opts.store), env: opts.env, modulePath, progress }));
  try {
    const schema = chosenFunction(modulePath, trial.manifest.functions, opts.fn);
    progress("starting an executor");
    const host = createHost({ store: trial.store, watch: false, logger: createLogger("error", 2), config: { pool: { size: 1 } } });
    let result;
    try {
      await progress.track(host.ready);
      result = await host.invoke(opts.env, schema.name, rows, { deadlineMs }).catch(async (error: unknown) => {
        if (!(error instanceof ApiError)) throw error;
        // Not served: its executor refused it, and the reload says why.
        const refusal = error.code === "unknown_environment" ? (await host.reload(opts.env)).find((r) => r.status === "refused") : undefined;
        throw new VialError(refusal && "error" in refusal ? refusal.error : `${error.code}: ${error.message}`);
      });
    } finally {
      await host.close();
    }
    process.stdout.write(opts.json ? `${JSON.stringify(result)}\n` : `${resultTable(schema, rows, result as Parameters<typeof resultTable>[2])}\n`);
    if (result.errors.length > 0) process.exitCode = 1;
  } finally {
    await trial.remove();
  }
}

/** The function --fn names, or the module's only one. */
function chosenFunction(modulePath: string, functions: FunctionSchema[], fn: string | undefined): FunctionSchema {
  const names = functions.map((f) => f.name).join(", ");
  if (fn === undefined) {
    if (functions.length === 1) return functions[0]!;
    throw new VialError(`${modulePath} has ${functions.length} functions (${names}): pass one of them to --fn`);
  }
  const schema = functions.find((f) => f.name === fn);
  if (!schema) throw new VialError(`${modulePath} has no function '${fn}' (has: ${names}): pass one of them to --fn`);
  return schema;
}
