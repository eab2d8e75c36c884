/**
 * A shadow version's call: the same rows the current version answered, run
 * here (the same per-row work as any call, executor/call.ts), then compared
 * row by row with the current version's answer, output rows and per-row
 * errors alike. The comparison is done in this process, the shadow's own, so
 * the host's thread only forwards bytes.
 */
import { isDeepStrictEqual } from "node:util";
import { decodeBody, rowsOf, toBase64 } from "../runtime/codec.ts";
import { ApiError } from "../runtime/errors.ts";
import { errorReply, runCall, type CallContext } from "./call.ts";
import { timestampText } from "./wire-values.ts";
import type { CallMessage, CallReply, Comparison, CurrentAnswer, RowAnswer } from "./protocol.ts";

/** Mismatched rows a call sends back as samples. */
const SAMPLES_PER_CALL = 3;
/**
 * Failures that say nothing of the shadow's answers, only that it had no time
 * or room for this call (it runs below the current version, on what is left):
 * the mirrored request counts as failed, not as rows that differ.
 */
const NOT_AN_ANSWER = new Set(["deadline_exceeded", "overloaded", "shutting_down", "unavailable", "not_ready"]);

interface Answer {
  rows: unknown[];
  errors: Array<{ row: number; error: string }>;
}

/**
 * A value as comparisons and samples hold it, whatever format carried it: bytes as base64, dates as canonical
 * timestamp text, -0 as 0, NaN and ±Infinity as text, or as null where the current answer was JSON that wrote them
 * so (`nonFiniteAsNull`): what its caller saw. Timestamps in answers are canonical text already (rows.ts).
 */
function canonical(value: unknown, nonFiniteAsNull = false): unknown {
  if (typeof value === "number") return Number.isFinite(value) ? value + 0 : nonFiniteAsNull ? null : String(value);
  if (value === null || typeof value !== "object") return value;
  if (value instanceof Uint8Array) return toBase64(value);
  if (value instanceof Date) return timestampText(value);
  if (Array.isArray(value)) return value.map((item) => canonical(item, nonFiniteAsNull));
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, canonical(v, nonFiniteAsNull)]));
}

/** The host keeps samples for as long as the shadow runs: a value longer than this (as JSON) is kept as a note. */
const SAMPLE_VALUE_CHARS = 2048;
function keepable<T>(value: T): T | string {
  const chars = JSON.stringify(value)?.length ?? 0;
  return chars <= SAMPLE_VALUE_CHARS ? value : `(a value of ${chars} characters as JSON: too large to keep as a sample)`;
}

function currentAnswer(current: CurrentAnswer): Answer {
  const answer = current.format === "values" ? current : (decodeBody(current.format, current.body) as Answer);
  return { rows: answer.rows, errors: answer.errors as Answer["errors"] };
}

/** Row i's answer: its error if it has one, else its output row. */
function rowAnswers(answer: Answer | { failure: string }, count: number, nonFiniteAsNull: boolean): Array<RowAnswer | null> {
  if ("failure" in answer) return new Array<RowAnswer>(count).fill({ error: answer.failure });
  const errors = new Map(answer.errors.map((e) => [e.row, e.error]));
  return Array.from({ length: count }, (_, i) => (errors.has(i) ? { error: errors.get(i)! } : (canonical(answer.rows[i], nonFiniteAsNull) as RowAnswer | null)));
}

/** `nonFiniteAsNull`: the current answer is JSON that wrote NaN and ±Infinity as null, so the shadow's are compared as null. */
export function compareAnswers(inputs: unknown[], current: Answer, shadow: Answer | { failure: string }, nonFiniteAsNull = false): Comparison {
  const count = current.rows.length;
  const ours = rowAnswers(shadow, count, nonFiniteAsNull);
  const theirs = rowAnswers(current, count, nonFiniteAsNull);
  const comparison: Comparison = { compared: count, matched: 0, mismatched: 0, samples: [] };
  for (let i = 0; i < count; i++) {
    if (isDeepStrictEqual(theirs[i], ours[i])) {
      comparison.matched++;
      continue;
    }
    comparison.mismatched++;
    if (comparison.samples.length < SAMPLES_PER_CALL) {
      comparison.samples.push({ input: keepable(canonical(inputs[i])), current: keepable(theirs[i]!), shadow: keepable(ours[i]!) });
    }
  }
  return comparison;
}

export async function runShadowCall(ctx: CallContext, msg: CallMessage & { compareWith: CurrentAnswer }, signal: AbortSignal): Promise<CallReply> {
  const current = currentAnswer(msg.compareWith);
  let inputs: unknown[];
  try {
    inputs = msg.input.format === "values" ? msg.input.rows : rowsOf(decodeBody(msg.input.format, msg.input.body));
  } catch (error) {
    if (!(error instanceof ApiError)) throw error;
    return errorReply(msg.id, error);
  }
  // The rows decoded once serve the call and the samples; they go through the same checks as any call's.
  const reply = await runCall(ctx, { ...msg, input: { format: "values", rows: inputs, bytes: "base64" } }, signal);
  if (!reply.ok && NOT_AN_ANSWER.has(reply.error.code)) return reply;
  const shadow = reply.ok ? (reply.body as Answer) : { failure: `${reply.error.code}: ${reply.error.message}` };
  const nonFiniteAsNull = msg.compareWith.format === "json" && msg.nonFinite !== "string";
  return { type: "done", id: msg.id, ok: true, body: new Uint8Array(0), logs: reply.logs, comparison: compareAnswers(inputs, current, shadow, nonFiniteAsNull) };
}
