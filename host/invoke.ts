/**
 * One invocation as the host handles it, over HTTP or in-process: find the
 * function, hand the input to the environment's executor with the time left
 * until the caller's deadline, log what the guest printed. The rows
 * themselves are the executor's business.
 */
import type { Logger } from "./logger.ts";
import type { Environments, Served } from "./environments.ts";
import type { CallInput } from "../executor/protocol.ts";
import type { Row, RowError } from "../executor/rows.ts";
import { effectiveDeadline } from "./policy.ts";
import { badRequest, deadlineExceeded, unknownEnvironment, unknownFunction } from "../runtime/errors.ts";

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

/** The environment serving `env/fn`, or the 404 that says what exists. */
export function servedFunction(environments: Environments, env: string, fn: string): Served {
  const served = environments.get(env);
  if (!served) throw unknownEnvironment(env);
  if (!served.functions.has(fn)) throw unknownFunction(env, fn, [...served.functions.keys()]);
  return served;
}

export function checkDeadline(requestedMs: number | undefined): number | undefined {
  if (requestedMs !== undefined && !(requestedMs > 0)) throw badRequest("the deadline must be a positive number of milliseconds");
  return requestedMs;
}

/**
 * Runs `input` through `served`'s executor. `arrivedAt` (performance.now())
 * is when the caller's deadline started counting.
 */
export async function invokeServed(served: Served, fn: string, input: CallInput, opts: { deadlineMs?: number; arrivedAt: number; log?: Logger; signal?: AbortSignal }) {
  const deadlineMs = effectiveDeadline(served.policy, opts.deadlineMs);
  const timeLeftMs = deadlineMs - (performance.now() - opts.arrivedAt);
  if (timeLeftMs <= 0) throw deadlineExceeded(served.env, fn, deadlineMs, false);
  const answer = await served.executor.call(fn, input, { deadlineMs, timeLeftMs }, opts.signal);
  for (const line of answer.logs ?? []) opts.log?.info({ env: served.env, function: fn, version: served.version, guest: line }, "guest log");
  return answer;
}

/** In-process callers: rows as values in, `{rows, errors}` out. */
export async function invokeRows(environments: Environments, env: string, fn: string, rows: unknown[], opts: InvokeOptions = {}): Promise<InvokeResult> {
  const arrivedAt = performance.now();
  const served = servedFunction(environments, env, fn);
  if (!Array.isArray(rows)) throw badRequest("rows must be an array");
  const answer = await invokeServed(served, fn, { format: "values", rows, bytes: opts.bytes ?? "base64" }, { deadlineMs: checkDeadline(opts.deadlineMs), arrivedAt, log: opts.log });
  return answer.body as InvokeResult;
}
