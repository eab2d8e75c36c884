/**
 * Rows crossing into and out of a guest: checked against the function's schema on the way
 * in (the caller's mistake: 400) and on the way out (the guest is untrusted:
 * a wrong row becomes that row's error), reduced to the declared fields.
 */
import { checkRow, hasBytes, mapBytes, type FieldSchema } from "../guest-sdk/js/schema.ts";
import { fromBase64, toBase64 } from "../runtime/codec.ts";
import { badRequest, invalidRow } from "../runtime/errors.ts";

export type Row = Record<string, unknown>;

export interface RowError {
  row: number;
  error: string;
}

/**
 * Keeps declared fields only; bytes given as binary become base64. An absent
 * or undefined optional field becomes null (JSON would drop an undefined one
 * from the guest's row); a required one stays undefined for the check to refuse.
 */
function toWire(fields: FieldSchema[], row: Row): Row {
  const out: Row = {};
  for (const { name, type } of fields) {
    const given = Object.hasOwn(row, name) ? row[name] : undefined;
    const value = given === undefined && typeof type === "object" && "optional" in type ? null : given;
    out[name] = hasBytes(type) ? mapBytes(type, value, (b) => (b instanceof Uint8Array ? toBase64(b) : b)) : value;
  }
  return out;
}

/**
 * The fewest bytes of JSON `rows` rows take in the guest's batch: every row
 * holds every declared field (absent optional ones as null), each value at
 * least one character. Counted before anything is built.
 */
export function leastBatchBytes(fields: FieldSchema[], rows: number): number {
  let row = 2 + Math.max(0, fields.length - 1); // braces and commas
  for (const { name } of fields) row += name.length + 4; // "name": and a value (escapes only add)
  return rows === 0 ? 2 : 1 + rows * (row + 1); // brackets and the commas between rows
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
  return rows.map((row, i) => {
    const isObject = row !== null && typeof row === "object" && !Array.isArray(row);
    const wire = isObject ? toWire(fields, row as Row) : row;
    const problem = checkRow(fields, wire, "wire");
    if (problem) throw invalidRow(i, problem);
    return wire as Row;
  });
}

/** Checks the guest's output rows; a row that breaks the schema is nulled with an error. */
export function checkOutputs(fields: FieldSchema[], rows: unknown[], errors: RowError[]): Array<Row | null> {
  return rows.map((row, i) => {
    if (row === null) return null;
    const problem = checkRow(fields, row, "wire");
    if (problem) {
      errors.push({ row: i, error: `output ${problem}` });
      return null;
    }
    return toWire(fields, row as Row);
  });
}

/** Output rows with bytes as Uint8Array, for binary formats (CBOR). */
export function bytesToBinary(fields: FieldSchema[], rows: Array<Row | null>): Array<Row | null> {
  const withBytes = fields.filter((f) => hasBytes(f.type));
  if (withBytes.length === 0) return rows;
  return rows.map((row) => {
    if (row === null) return null;
    const out = { ...row };
    for (const f of withBytes) out[f.name] = mapBytes(f.type, out[f.name], (b) => fromBase64(b as string));
    return out;
  });
}
