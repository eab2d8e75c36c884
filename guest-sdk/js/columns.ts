/**
 * The columns mode's two transpositions: a batch of rows into the dict of columns a columns handler receives, and
 * the dict of columns it returns back into rows, which are then checked like any function's output rows.
 */
import type { FieldSchema } from "../../runtime/schema.ts";

type Row = Record<string, unknown>;

/** A result that cannot be turned into the batch's rows: the batch fails, naming the column. */
export class ColumnsError extends Error {}

const isStruct = (field: FieldSchema): field is { name: string; type: { struct: FieldSchema[] } } =>
  typeof field.type === "object" && "struct" in field.type;

/** Each field's values, in row order. */
function columnsOf(fields: FieldSchema[], rows: readonly unknown[]): Row {
  const columns: Row = {};
  for (const field of fields) {
    const values = new Array<unknown>(rows.length);
    for (let i = 0; i < rows.length; i++) values[i] = (rows[i] as Row)[field.name];
    columns[field.name] = values;
  }
  return columns;
}

/**
 * The batch as columns: a column per input field. A function whose every input is a struct takes named inputs
 * (docs/types.md): each one comes as a dict of its own fields' columns, and structs inside them stay values.
 */
export function toColumns(fields: FieldSchema[], rows: readonly unknown[]): Row {
  const columns = columnsOf(fields, rows);
  if (fields.length > 0 && fields.every(isStruct)) {
    for (const field of fields) columns[field.name] = columnsOf(field.type.struct, columns[field.name] as unknown[]);
  }
  return columns;
}

const describe = (value: unknown): string => (value === null ? "null" : Array.isArray(value) ? "an array" : typeof value);

/**
 * `count` rows from the columns a handler returned. A declared column must be an array of `count` values (an optional
 * one may be left out); columns it does not declare are carried along, so their keys are seen and reported as
 * undeclared output keys, as a row function's are.
 */
export function fromColumns(fields: FieldSchema[], columns: unknown, count: number): Row[] {
  if (columns === null || typeof columns !== "object" || Array.isArray(columns)) {
    throw new ColumnsError(`columnsHandler returned ${describe(columns)}, not an object of columns`);
  }
  const given = columns as Row;
  const rows = Array.from({ length: count }, (): Row => ({}));
  for (const field of fields) {
    const column = Object.hasOwn(given, field.name) ? given[field.name] : undefined;
    if (column === undefined && typeof field.type === "object" && "optional" in field.type) continue;
    if (column === undefined) throw new ColumnsError(`columnsHandler returned no column '${field.name}'`);
    if (!Array.isArray(column)) throw new ColumnsError(`columnsHandler returned column '${field.name}' as ${describe(column)}, not an array`);
    if (column.length !== count) throw new ColumnsError(`columnsHandler returned ${column.length} values in column '${field.name}' for ${count} rows`);
    for (let i = 0; i < count; i++) rows[i]![field.name] = column[i];
  }
  const declared = new Set(fields.map((f) => f.name));
  for (const name of Object.keys(given)) {
    if (declared.has(name)) continue;
    const column = given[name];
    for (let i = 0; i < count; i++) rows[i]![name] = Array.isArray(column) ? column[i] : null;
  }
  return rows;
}
