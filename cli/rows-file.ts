/**
 * Rows for the CLI: inline JSON, or a file (.json: an array of rows or
 * {"rows": [...]}; .ndjson: one row per line; - for stdin). Every mistake
 * is reported with where it is and what the file should hold.
 */
import { readFile } from "node:fs/promises";
import { existsSync } from "node:fs";
import { VialError } from "../builds/errors.ts";

const isInline = (text: string) => /^\s*[[{]/.test(text);

function parseJson(text: string, where: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new VialError(`${where} is not valid JSON: ${(error as Error).message}`);
  }
}

function rowsOf(value: unknown, where: string): unknown[] {
  const rows = Array.isArray(value) ? value : (value as { rows?: unknown } | null)?.rows;
  if (!Array.isArray(rows)) throw new VialError(`${where} must hold a JSON array of rows or {"rows": [...]}`);
  return rows;
}

/** `source`: inline JSON, a path, or - for stdin. */
export async function readRows(source: string): Promise<unknown[]> {
  if (isInline(source)) return rowsOf(parseJson(source, "--rows"), "--rows");
  if (source !== "-" && !existsSync(source)) throw new VialError(`rows file ${source} does not exist (give a .json or .ndjson file, or inline JSON)`);
  const text = await readFile(source === "-" ? "/dev/stdin" : source, "utf8");
  if (source.endsWith(".ndjson") || source.endsWith(".jsonl")) {
    return text
      .split("\n")
      .map((line, i) => ({ line: line.trim(), number: i + 1 }))
      .filter(({ line }) => line !== "")
      .map(({ line, number }) => parseJson(line, `${source} line ${number}`));
  }
  return rowsOf(parseJson(text, source), source);
}
