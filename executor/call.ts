/**
 * The per-row work of one call, done once and here, off the host's thread:
 * decode the body, check the input rows, run the batch on a warm instance,
 * check what came back (the guest is untrusted), encode the response.
 */
import type { FunctionSchema } from "../runtime/schema.ts";
import { decodeBody, encodeBody, rowsOf } from "../runtime/codec.ts";
import {
  ApiError,
  badGuestResult,
  deadlineExceeded,
  guestError,
  guestTrap,
  memoryLimit,
  outputTooLarge,
  overloaded,
  shuttingDown,
  unknownFunction,
} from "../runtime/errors.ts";
import { boundedLogs, cut, MAX_ERROR_CHARS, MAX_ROW_ERROR_CHARS } from "../runtime/guest-output.ts";
import type { Pool, PoolResult } from "./pool/pool.ts";
import { bytesToBinary, checkOutputs, prepareInputs, undeclaredKeys, type RowError } from "./rows.ts";
import { epochNow, type CallInput, type CallMessage, type CallReply, type GuestTiming } from "./protocol.ts";

export interface CallContext {
  env: string;
  functions: Map<string, FunctionSchema>;
  pool: Pool;
  memoryLimitBytes: number;
  outputLimitBytes: number;
  retryAfterSeconds: number;
}

/** What the guest returns for a batch (JSON text), before it is trusted. */
interface Envelope {
  rows: unknown[];
  errors: RowError[];
  logs?: unknown;
}

export async function runCall(ctx: CallContext, msg: CallMessage, signal: AbortSignal): Promise<CallReply> {
  const deadlineAt = performance.now() + msg.timeLeftMs;
  let logs: string[] | undefined;
  let guest: GuestTiming | undefined;
  try {
    const schema = ctx.functions.get(msg.fn);
    if (!schema) throw unknownFunction(ctx.env, msg.fn, [...ctx.functions.keys()]);
    const inputs = prepareInputs(schema.inputs, rowsOfInput(msg.input), ctx.memoryLimitBytes);
    const batch = JSON.stringify(inputs);
    const start = epochNow();
    const result = await ctx.pool.call(msg.fn, batch, deadlineAt, signal);
    guest = { start, end: epochNow() };
    if (!result.ok) throw failure(ctx, result, msg.fn, msg.deadlineMs);

    const envelope = parseEnvelope(result.envelope, inputs.length, ctx.env, msg.fn);
    logs = boundedLogs(envelope.logs);
    // Only the documented shape leaves: no keys a guest added, no rows that do not exist, no message past its bound.
    const errors = envelope.errors
      .filter((e) => Number.isInteger(e?.row) && e.row >= 0 && e.row < inputs.length && typeof e.error === "string")
      .map(({ row, error }) => ({ row, error: cut(error, MAX_ROW_ERROR_CHARS) }));
    const rows = checkOutputs(schema.outputs, envelope.rows, errors);
    const undeclared = undeclaredKeys(schema.outputs, envelope.rows);
    errors.sort((a, b) => a.row - b.row);
    const binary = msg.input.format === "cbor" || (msg.input.format === "values" && msg.input.bytes === "binary");
    const answer = { rows: binary ? bytesToBinary(schema.outputs, rows) : rows, errors };
    const body = msg.input.format === "values" ? answer : toBytes(encodeBody(msg.input.format, answer, msg.nonFinite));
    return { type: "done", id: msg.id, ok: true, body, logs, guest, ...(undeclared > 0 ? { undeclaredKeys: undeclared } : {}) };
  } catch (error) {
    if (!(error instanceof ApiError)) throw error;
    return { ...errorReply(msg.id, error), logs, guest };
  }
}

/** An error as it leaves the executor: its message, which may quote the guest, cut to its bound. */
export const errorReply = (id: number, error: ApiError): CallReply => ({
  type: "done",
  id,
  ok: false,
  error: { status: error.status, code: error.code, message: cut(error.message, MAX_ERROR_CHARS), retryAfter: error.retryAfter },
});

function rowsOfInput(input: CallInput): unknown[] {
  if (input.format === "values") return input.rows;
  return rowsOf(decodeBody(input.format, input.body));
}

export const toBytes = (body: string | Uint8Array): Uint8Array => (typeof body === "string" ? Buffer.from(body) : body);

function failure(ctx: CallContext, result: Exclude<PoolResult, { ok: true }>, fn: string, deadlineMs: number): ApiError {
  switch (result.kind) {
    case "timeout":
    case "cancelled":
      return deadlineExceeded(ctx.env, fn, deadlineMs, result.kind === "timeout" && result.running);
    case "overloaded":
      return overloaded(ctx.env, ctx.retryAfterSeconds);
    case "closed":
      return shuttingDown();
    case "memory":
      return memoryLimit(ctx.env, fn, ctx.memoryLimitBytes);
    case "guest":
      return guestError(ctx.env, fn, result.message);
    case "trap":
      return guestTrap(ctx.env, fn, result.message);
    case "output":
      return outputTooLarge(ctx.env, fn, result.bytes, ctx.outputLimitBytes);
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
