/**
 * The baseline of `vial run`: a plain Node loop over the same NDJSON file
 * calling the same JS (the user's module, imported directly: its rows through
 * the transformation's own `run`), writing one JSON line per row. One thread,
 * no executor, no sandbox, no schema checks, no ordering or checkpoints.
 *
 *   tsx bench/offline-loop.ts <module> <function> <input.ndjson> <output.ndjson>
 */
import { createReadStream } from "node:fs";
import { open } from "node:fs/promises";
import { createInterface } from "node:readline";
import { pathToFileURL } from "node:url";
import type { Transformation } from "../guest-sdk/js/index.ts";

const BATCH = 1000;
const [module, fn, input, output] = process.argv.slice(2) as [string, string, string, string];
const transformation = ((await import(pathToFileURL(module).href)) as Record<string, Transformation>)[fn]!;
const out = await open(output, "w");
let batch: unknown[] = [];
const flush = async () => {
  let text = "";
  for (const row of transformation.run(batch as never[])) text += JSON.stringify(row instanceof Error ? null : row) + "\n";
  await out.write(text);
  batch = [];
};
for await (const line of createInterface({ input: createReadStream(input), crlfDelay: Infinity })) {
  if (!line) continue;
  batch.push(JSON.parse(line));
  if (batch.length === BATCH) await flush();
}
if (batch.length) await flush();
await out.close();
