/**
 * CSV cells and the values they stand for, by the field's type: numbers and
 * booleans as JSON writes them, bytes as base64, timestamps as RFC 3339 text,
 * arrays, maps and structs as JSON text, an empty cell as null where the field
 * may be null. A cell that does not read
 * as its type is passed on as text, so the schema check names the field.
 */
import type { FieldType } from "../../runtime/schema.ts";

const NUMBER = /^-?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

export function cellToValue(type: FieldType, cell: string | undefined): unknown {
  if (cell === undefined) return undefined;
  if (typeof type === "object" && "optional" in type) return cell === "" ? null : cellToValue(type.optional, cell);
  // NaN and ±Infinity stay text, the form a JSON body sends them in.
  if (typeof type === "object" && "nonFinite" in type) return cellToValue(type.nonFinite, cell);
  if (typeof type === "object") {
    if (cell === "") return null;
    try {
      const value: unknown = JSON.parse(cell);
      return value !== null && typeof value === "object" ? value : cell;
    } catch {
      return cell;
    }
  }
  switch (type) {
    case "string":
    case "bytes":
    case "timestamp":
      return cell;
    case "int64":
    case "int32":
    case "float64":
    case "float32":
      if (cell === "") return null;
      return NUMBER.test(cell) ? Number(cell) : cell;
    case "bool": {
      const lower = cell.toLowerCase();
      return lower === "true" ? true : lower === "false" ? false : cell === "" ? null : cell;
    }
  }
}

export function valueToCell(value: unknown): string {
  if (value === null || value === undefined) return "";
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  return JSON.stringify(value);
}
