/**
 * What an executor may say to the host, checked before the host uses any of it. An executor runs code the host
 * does not trust (a V8 bug could hand it to the guest), so each message is parsed against its schema: known
 * types, ids the host gave out, sizes within their bounds, strings no longer than executors' trusted code
 * makes them. Anything else is a `ProtocolViolation`, and that executor is ended.
 */
import {
  MAX_REPORTED_CALLS,
  MAX_REPORTED_LOG_LINES,
  MAX_UNDECLARED_KEYS_PER_ROW,
  type CallReply,
  type Comparison,
  type ExecutorMessage,
  type ExecutorState,
  type ServedReport,
} from "../executor/protocol.ts";
import { PART_BYTES } from "../executor/parts.ts";
import { ERROR_CODES, type ErrorCode } from "../runtime/errors.ts";
import { MAX_ERROR_CHARS, MAX_LOG_LINE_CHARS, MAX_LOG_LINES, MAX_ROW_ERROR_CHARS } from "../runtime/guest-output.ts";
import { RESTART_CAUSES, type RestartCause } from "../runtime/instance.ts";

export class ProtocolViolation extends Error {
  override name = "ProtocolViolation";
}

export interface MessageBounds {
  /** The largest encoded answer an executor may send for one call. */
  maxBodyBytes: number;
  /** The most rows call `id` can have (its body's bytes: a row takes at least one), 0 for a call not waiting. */
  rowsAtMost(id: number): number;
  /** The version's functions: what a report of calls on the executor's own socket may name ("" for an unknown one). */
  functions: ReadonlySet<string>;
}

/** Room for the note `cut()` adds to a string it shortens. */
const CUT_NOTE = 64;
/** Shadow samples a reply may carry, and the size of each (JSON characters, counted without expanding shared values). */
const MAX_SAMPLES = 10;
export const MAX_SAMPLE_NODES = 4096;

const violation = (what: string): never => {
  throw new ProtocolViolation(what);
};
const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
const isId = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) > 0;
const isCount = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0;
const isBytes = (v: unknown, max: number): v is Uint8Array => v instanceof Uint8Array && v.byteLength <= max;

function text(v: unknown, max: number, what: string): string {
  if (typeof v !== "string") return violation(`${what} is not a string`);
  return v.length <= max + CUT_NOTE ? v : violation(`${what} is ${v.length} characters, over ${max}`);
}

export function parseExecutorMessage(raw: unknown, bounds: MessageBounds): ExecutorMessage {
  if (!isRecord(raw)) return violation("a message that is not an object");
  switch (raw.type) {
    case "ready":
      return { type: "ready" };
    case "failed":
      return { type: "failed", message: text(raw.message, MAX_ERROR_CHARS, "a start failure's message") };
    case "done":
      return parseReply(raw, bounds);
    case "part":
      if (!isId(raw.id) || !isBytes(raw.bytes, PART_BYTES)) return violation("a part without an id or with more than a part's bytes");
      return { type: "part", id: raw.id, bytes: raw.bytes };
    case "state":
      if (!isId(raw.id)) return violation("a state without an id");
      return { type: "state", id: raw.id, state: parseState(raw.state) };
    case "instance":
      return parseInstanceEvent(raw);
    case "served":
      return parseServed(raw, bounds.functions);
    default:
      return violation(`a message of unknown type ${JSON.stringify(String(raw.type)).slice(0, 40)}`);
  }
}

function parseReply(raw: Record<string, unknown>, bounds: MessageBounds): CallReply {
  if (!isId(raw.id)) return violation("an answer without an id");
  const common = {
    type: "done" as const,
    id: raw.id,
    ...(raw.logs === undefined ? {} : { logs: parseLogs(raw.logs) }),
    ...(raw.guest === undefined ? {} : { guest: parseTiming(raw.guest) }),
  };
  if (raw.ok === false) return { ...common, ok: false, error: parseError(raw.error) };
  if (raw.ok !== true) return violation("an answer that is neither ok nor not");
  const extras = {
    ...(raw.comparison === undefined ? {} : { comparison: parseComparison(raw.comparison) }),
    ...(raw.undeclaredKeys === undefined ? {} : { undeclaredKeys: parseUndeclaredKeys(raw.undeclaredKeys, bounds.rowsAtMost(raw.id)) }),
  };
  if (raw.body instanceof Uint8Array) {
    if (raw.body.byteLength > bounds.maxBodyBytes) return violation(`an answer of ${raw.body.byteLength} bytes, over ${bounds.maxBodyBytes}`);
    if (raw.bodyBytes === undefined) return { ...common, ok: true, body: raw.body, ...extras };
    const whole = raw.bodyBytes;
    if (!isCount(whole) || whole <= raw.body.byteLength || whole > bounds.maxBodyBytes || raw.body.byteLength !== PART_BYTES) {
      return violation(`an answer announcing ${String(whole)} bytes in parts`);
    }
    return { ...common, ok: true, body: raw.body, bodyBytes: whole, ...extras };
  }
  return { ...common, ok: true, body: parseValues(raw.body), ...extras };
}

/** The executor counts a row's undeclared output keys up to a bound: a call's count is within that bound per row it can have. */
function parseUndeclaredKeys(raw: unknown, rowsAtMost: number): number {
  if (!isCount(raw) || raw > rowsAtMost * MAX_UNDECLARED_KEYS_PER_ROW) return violation(`an answer counting ${String(raw)} undeclared output keys for at most ${rowsAtMost} rows`);
  return raw;
}

/** A day: no call takes longer, whatever its deadline. */
const MAX_CALL_MS = 86_400_000;

function parseServed(raw: Record<string, unknown>, functions: ReadonlySet<string>): ServedReport {
  const { calls, logs } = raw;
  if (!Array.isArray(calls) || calls.length > MAX_REPORTED_CALLS) return violation(`a report of served calls that is not a list of at most ${MAX_REPORTED_CALLS}`);
  if (!Array.isArray(logs) || logs.length > MAX_REPORTED_LOG_LINES) return violation(`a report's logs that are not a list of at most ${MAX_REPORTED_LOG_LINES} lines`);
  return {
    type: "served",
    calls: calls.map((call: unknown) => {
      if (!isRecord(call) || typeof call.fn !== "string" || (call.fn !== "" && !functions.has(call.fn))) return violation("a served call of a function the version does not have");
      const { status, ms, code } = call;
      if (!Number.isInteger(status) || (status as number) < 200 || (status as number) > 599) return violation("a served call's status outside 200-599");
      if (typeof ms !== "number" || !(ms >= 0 && ms <= MAX_CALL_MS)) return violation("a served call's time out of range");
      if (code !== undefined && !(ERROR_CODES as readonly unknown[]).includes(code)) return violation("a served call with an unknown error code");
      return { fn: call.fn, status: status as number, ms, ...(code === undefined ? {} : { code: code as ErrorCode }) };
    }),
    logs: logs.map((line) => text(line, MAX_LOG_LINE_CHARS, "a log line")),
  };
}

function parseError(raw: unknown): Extract<CallReply, { ok: false }>["error"] {
  if (!isRecord(raw)) return violation("an error that is not an object");
  const { status, code, retryAfter } = raw;
  if (!Number.isInteger(status) || (status as number) < 400 || (status as number) > 599) return violation("an error status outside 400-599");
  if (!(ERROR_CODES as readonly unknown[]).includes(code)) return violation("an error with an unknown code");
  if (retryAfter !== undefined && (!isCount(retryAfter) || retryAfter > 3600)) return violation("an error's retry-after out of range");
  return { status: status as number, code: code as ErrorCode, message: text(raw.message, MAX_ERROR_CHARS, "an error's message"), ...(retryAfter === undefined ? {} : { retryAfter }) };
}

function parseLogs(raw: unknown): string[] {
  if (!Array.isArray(raw) || raw.length > MAX_LOG_LINES + 1) return violation("logs that are not a list of at most the lines allowed");
  return raw.map((line) => text(line, MAX_LOG_LINE_CHARS, "a log line"));
}

function parseTiming(raw: unknown): { start: number; end: number } {
  if (!isRecord(raw) || !Number.isFinite(raw.start) || !Number.isFinite(raw.end)) return violation("a guest timing that is not two times");
  return { start: raw.start as number, end: raw.end as number };
}

function parseState(raw: unknown): ExecutorState {
  if (!isRecord(raw)) return violation("a state that is not an object");
  const fields = ["size", "idle", "busy", "starting", "queued", "rssBytes"] as const;
  for (const f of fields) if (!isCount(raw[f])) return violation(`a state whose ${f} is not a count`);
  return Object.fromEntries(fields.map((f) => [f, raw[f]])) as unknown as ExecutorState;
}

function parseInstanceEvent(raw: Record<string, unknown>): ExecutorMessage {
  switch (raw.event) {
    case "started":
    case "request-path-instantiation":
      return { type: "instance", event: raw.event };
    case "restarted":
      if (!(RESTART_CAUSES as readonly unknown[]).includes(raw.cause)) return violation("an instance restarted for an unknown cause");
      return { type: "instance", event: "restarted", cause: raw.cause as RestartCause };
    case "start-failed":
      return { type: "instance", event: "start-failed", message: text(raw.message, MAX_ERROR_CHARS, "an instance's start failure") };
    default:
      return violation("an instance event of unknown kind");
  }
}

/** Rows as values (callers in the host's process): lists of the shapes rows and row errors have, nothing expanding. */
function parseValues(raw: unknown): { rows: unknown[]; errors: unknown[] } {
  if (!isRecord(raw) || !Array.isArray(raw.rows) || !Array.isArray(raw.errors)) return violation("an answer with neither bytes nor rows");
  const { rows, errors } = raw;
  if (!rows.every((r) => r === null || isRecord(r))) return violation("an answer row that is not an object");
  if (errors.length > rows.length) return violation("more row errors than rows");
  for (const e of errors) {
    if (!isRecord(e) || !isCount(e.row) || e.row >= rows.length) return violation("a row error for a row that does not exist");
    text(e.error, MAX_ROW_ERROR_CHARS, "a row error");
  }
  if (!withinNodes(rows, rows.length * 1024 + 4096)) return violation("answer rows larger than they can be when expanded");
  return { rows, errors };
}

function parseComparison(raw: unknown): Comparison {
  if (!isRecord(raw)) return violation("a comparison that is not an object");
  const { compared, matched, mismatched, samples } = raw;
  if (!isCount(compared) || !isCount(matched) || !isCount(mismatched) || matched + mismatched !== compared) return violation("a comparison whose counts do not add up");
  if (!Array.isArray(samples) || samples.length > MAX_SAMPLES) return violation(`more than ${MAX_SAMPLES} samples`);
  for (const s of samples) if (!isRecord(s) || !withinNodes(s, MAX_SAMPLE_NODES)) return violation("a sample larger than a sample may be");
  return { compared, matched, mismatched, samples: samples as Comparison["samples"] };
}

/**
 * Whether `value`, expanded as JSON would expand it (a value shared by reference counts each time it is
 * reached), has at most `budget` nodes and strings totalling at most 64 times that in characters.
 */
export function withinNodes(value: unknown, budget: number): boolean {
  let nodes = 1;
  let chars = 0;
  const stack: unknown[] = [value];
  while (stack.length > 0) {
    const v = stack.pop();
    if (typeof v === "string") chars += v.length;
    else if (v instanceof Uint8Array) chars += v.byteLength;
    else if (typeof v === "object" && v !== null) {
      const children = Array.isArray(v) ? v : Object.values(v);
      if ((nodes += children.length) > budget) return false;
      for (const child of children) stack.push(child);
    }
    if (chars > budget * 64) return false;
  }
  return true;
}
