/**
 * Finding what a call is for, and calling it from the host's own process:
 * rows as values in, `{rows, errors}` out, through the environment's
 * executor like any HTTP call (admitted, in line, within its deadline).
 */
import type { Logger } from "./logger.ts";
import type { Environments, Served } from "./environments.ts";
import type { Row, RowError } from "../executor/rows.ts";
import { effectiveDeadline } from "../supervision/policy.ts";
import { badRequest, unknownEnvironment, unknownFunction } from "../runtime/errors.ts";

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

export async function invokeRows(environments: Environments, env: string, fn: string, rows: unknown[], opts: InvokeOptions = {}): Promise<InvokeResult> {
  const arrivedAt = performance.now();
  const served = servedFunction(environments, env, fn);
  if (!Array.isArray(rows)) throw badRequest("rows must be an array");
  if (opts.deadlineMs !== undefined && !(opts.deadlineMs > 0)) throw badRequest("the deadline must be a positive number of milliseconds");
  const deadlineMs = effectiveDeadline(served.policy, opts.deadlineMs);
  const admission = served.supervisor.admit();
  try {
    const input = { format: "values", rows, bytes: opts.bytes ?? "base64" } as const;
    const answer = await served.supervisor.call(admission, fn, input, { deadlineMs, deadlineAt: arrivedAt + deadlineMs });
    for (const line of answer.logs ?? []) opts.log?.info({ env, function: fn, version: served.version, guest: line }, "guest log");
    const result = answer.body as InvokeResult;
    environments.shadow(env)?.offer(fn, input, { format: "values", ...result });
    return result;
  } finally {
    admission.ticket.release();
    admission.reservation.release();
  }
}
