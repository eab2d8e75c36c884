/**
 * Rows crossing into and out of a guest: put in the wire form (wire-values.ts) and checked against the function's
 * schema on the way in (the caller's mistake: 400) and on the way out (the guest is untrusted: a wrong row becomes
 * that row's error), reduced to the declared fields.
 */
import { checkRow, isRecord, type FieldSchema, type FieldType } from "../runtime/schema.ts";
import { badRequest, invalidRow } from "../runtime/errors.ts";
import { MAX_UNDECLARED_KEYS_PER_ROW } from "./protocol.ts";
import { BYTES_AS_BINARY, TOWARD_ANSWER, TOWARD_GUEST, wireValue, type Conversion } from "./wire-values.ts";

export type Row = Record<string, unknown>;

export interface RowError {
  row: number;
  error: string;
}

export { MAX_UNDECLARED_KEYS_PER_ROW };

/** What a function's fields need, worked out once per schema: rows are prepared by the thousand. */
interface Plan {
  names: Set<string>;
  optional: boolean[];
  /** Per conversion, which fields' values it rebuilds (the others are passed as they are). */
  rebuilt: Map<Conversion, boolean[]>;
  /** The least JSON one row takes in the batch. */
  leastRowBytes: number;
}

const plans = new WeakMap<FieldSchema[], Plan>();

function planOf(fields: FieldSchema[]): Plan {
  let plan = plans.get(fields);
  if (!plan) {
    plan = {
      names: new Set(fields.map((f) => f.name)),
      optional: fields.map((f) => typeof f.type === "object" && "optional" in f.type),
      rebuilt: new Map([TOWARD_GUEST, TOWARD_ANSWER, BYTES_AS_BINARY].map((c) => [c, fields.map((f) => c.changes(f.type))])),
      leastRowBytes: leastRecordBytes(fields),
    };
    plans.set(fields, plan);
  }
  return plan;
}

/**
 * Rows' declared fields, in the form `conversion` gives them. An absent or undefined optional field becomes null
 * (JSON would drop an undefined one from the guest's row); a required one stays undefined for the check to refuse.
 */
function toWire(fields: FieldSchema[], conversion: Conversion): (row: Row) => Row {
  const { optional, rebuilt } = planOf(fields);
  const rebuild = rebuilt.get(conversion)!;
  return (row) => {
    const out: Row = {};
    for (let f = 0; f < fields.length; f++) {
      const { name, type } = fields[f]!;
      const given = Object.hasOwn(row, name) ? row[name] : undefined;
      out[name] = rebuild[f] ? wireValue(type, given, conversion) : given === undefined && optional[f] ? null : given;
    }
    return out;
  };
}

/** The least JSON a value of `type` takes: a required struct holds all its fields; anything else one character. */
const leastValueBytes = (type: FieldType): number => (typeof type === "object" && "struct" in type ? leastRecordBytes(type.struct) : 1);

function leastRecordBytes(fields: FieldSchema[]): number {
  let bytes = 2 + Math.max(0, fields.length - 1); // braces and commas
  for (const { name, type } of fields) bytes += name.length + 3 + leastValueBytes(type); // "name": and the value (escapes only add)
  return bytes;
}

/**
 * The fewest bytes of JSON `rows` rows take in the guest's batch: every row
 * holds every declared field (absent optional ones as null), every struct
 * every field of its own, each other value at least one character. Counted
 * before anything is built.
 */
export function leastBatchBytes(fields: FieldSchema[], rows: number): number {
  return rows === 0 ? 2 : 1 + rows * (planOf(fields).leastRowBytes + 1); // brackets and the commas between rows
}

/** Why a row would be refused as an input (as prepareInputs refuses it), or null. */
export function inputProblem(fields: FieldSchema[], row: unknown): string | null {
  return checkRow(fields, isRecord(row) ? toWire(fields, TOWARD_GUEST)(row) : row, "wire");
}

/**
 * Input rows as the guest receives them; throws 400 naming the first bad row
 * and field. A body of empty rows for a function with many optional fields
 * would grow by their names in every row (a 1 MiB CBOR body of empty maps: a
 * 250 MiB batch): a batch larger than the guest can hold (`maxBatchBytes`, its
 * memory limit) is refused before any of it is built.
 */
export function prepareInputs(fields: FieldSchema[], rows: unknown[], maxBatchBytes = Infinity): Row[] {
  const least = leastBatchBytes(fields, rows.length);
  if (least > maxBatchBytes) {
    throw badRequest(
      `${rows.length} rows would reach the function as at least ${least} bytes of JSON (every row holds all ${fields.length} input fields), ` +
        `more than its memory limit of ${maxBatchBytes} bytes: send fewer rows per call`,
    );
  }
  const wireRow = toWire(fields, TOWARD_GUEST);
  return rows.map((row, i) => {
    const wire = isRecord(row) ? wireRow(row) : row;
    const problem = checkRow(fields, wire, "wire");
    if (problem) throw invalidRow(i, problem);
    return wire as Row;
  });
}

/** The guest's output rows as the answer holds them; a row that breaks the schema is nulled with an error. */
export function checkOutputs(fields: FieldSchema[], rows: unknown[], errors: RowError[]): Array<Row | null> {
  const wireRow = toWire(fields, TOWARD_ANSWER);
  return rows.map((row, i) => {
    if (row === null) return null;
    const wire = isRecord(row) ? wireRow(row) : row;
    const problem = checkRow(fields, wire, "wire");
    if (problem) {
      errors.push({ row: i, error: `output ${problem}` });
      return null;
    }
    return wire as Row;
  });
}

/** How many keys the guest's output rows hold that the function does not declare (top level; at most MAX_UNDECLARED_KEYS_PER_ROW a row). */
export function undeclaredKeys(fields: FieldSchema[], rows: unknown[]): number {
  const { names } = planOf(fields);
  let count = 0;
  for (const row of rows) {
    if (!isRecord(row)) continue;
    let extra = 0;
    for (const key in row) if (!names.has(key) && Object.hasOwn(row, key) && ++extra === MAX_UNDECLARED_KEYS_PER_ROW) break;
    count += extra;
  }
  return count;
}

/** Checked output rows with bytes as Uint8Array, for binary formats (CBOR), wherever they are nested. */
export function bytesToBinary(fields: FieldSchema[], rows: Array<Row | null>): Array<Row | null> {
  if (!planOf(fields).rebuilt.get(BYTES_AS_BINARY)!.includes(true)) return rows;
  const wireRow = toWire(fields, BYTES_AS_BINARY);
  return rows.map((row) => row && wireRow(row));
}
