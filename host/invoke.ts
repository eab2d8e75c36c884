/**
 * One invocation, independent of HTTP: find the function, check the rows,
 * run the batch on a warm instance, check what came back.
 */
import type { Logger } from "./logger.ts";
import type { Environments } from "./environments.ts";
import type { PoolResult } from "./pool/pool.ts";
import { effectiveDeadline, type PoolPolicy } from "./pool/policy.ts";
import { badGuestResult, badRequest, deadlineExceeded, guestError, guestTrap, memoryLimit, outputTooLarge, overloaded, shuttingDown, unknownEnvironment, unknownFunction, HostError } from "./errors.ts";
import { bytesToBinary, checkOutputs, prepareInputs, type Row, type RowError } from "./rows.ts";

export interface InvokeOptions {
  /** Lowers (never raises) the environment's deadline. */
  deadlineMs?: number;
  /** Bytes fields in the result as base64 strings (JSON) or Uint8Array (binary formats). Default base64. */
  bytes?: "base64" | "binary";
  log?: Logger;
}

export interface InvokeResult {
  rows: Array<Row | null>;
  errors: RowError[];
}

/** What the guest returns for a batch (JSON text), before it is trusted. */
interface Envelope {
  rows: unknown[];
  errors: RowError[];
  logs?: unknown[];
}

export async function invoke(environments: Environments, env: string, fn: string, rows: unknown[], opts: InvokeOptions = {}): Promise<InvokeResult> {
  const started = performance.now();
  const served = environments.get(env);
  if (!served) throw unknownEnvironment(env);
  const schema = served.version.functions.get(fn);
  if (!schema) throw unknownFunction(env, fn, [...served.version.functions.keys()]);
  if (!Array.isArray(rows)) throw badRequest("rows must be an array");
  if (opts.deadlineMs !== undefined && !(opts.deadlineMs > 0)) throw badRequest("the deadline must be a positive number of milliseconds");

  const inputs = prepareInputs(schema.inputs, rows);
  const deadlineMs = effectiveDeadline(served.policy, opts.deadlineMs);
  const result = await served.pool.call(fn, JSON.stringify(inputs), started + deadlineMs);
  if (!result.ok) throw failure(result, env, fn, deadlineMs, served.policy);

  const envelope = parseEnvelope(result.envelope, inputs.length, env, fn);
  for (const line of envelope.logs ?? []) opts.log?.info({ env, function: fn, version: served.version.version, guest: String(line) }, "guest log");
  // Only the documented shape leaves the host: no keys a guest added, no rows that do not exist.
  const errors = envelope.errors
    .filter((e) => Number.isInteger(e?.row) && e.row >= 0 && e.row < inputs.length && typeof e.error === "string")
    .map(({ row, error }) => ({ row, error }));
  const outputs = checkOutputs(schema.outputs, envelope.rows, errors);
  errors.sort((a, b) => a.row - b.row);
  return { rows: opts.bytes === "binary" ? bytesToBinary(schema.outputs, outputs) : outputs, errors };
}

function failure(result: Exclude<PoolResult, { ok: true }>, env: string, fn: string, deadlineMs: number, policy: PoolPolicy): HostError {
  switch (result.kind) {
    case "timeout":
      return deadlineExceeded(env, fn, deadlineMs, result.running);
    case "overloaded":
      return overloaded(env, policy.retryAfterSeconds);
    case "closed":
      return shuttingDown();
    case "memory":
      return memoryLimit(env, fn, policy.memoryLimitBytes);
    case "guest":
      return guestError(env, fn, result.message);
    case "trap":
      return guestTrap(env, fn, result.message);
    case "output":
      return outputTooLarge(env, fn, result.bytes, policy.outputLimitBytes);
  }
}

/** The guest is untrusted: an envelope of the wrong shape fails the call like a trap would. */
function parseEnvelope(text: string, expectedRows: number, env: string, fn: string): Envelope {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw badGuestResult(env, fn, "returned a result that is not JSON");
  }
  const envelope = value as Partial<Envelope> | null;
  if (!envelope || !Array.isArray(envelope.rows) || !Array.isArray(envelope.errors)) {
    throw badGuestResult(env, fn, 'returned a result without "rows" and "errors" arrays');
  }
  if (envelope.rows.length !== expectedRows) throw badGuestResult(env, fn, `returned ${envelope.rows.length} rows for ${expectedRows}`);
  return envelope as Envelope;
}
