import { transformation, t } from "@vial/guest";

/** A light transform: its cost is mostly the per-row and boundary overhead. */
export const light = transformation({
  inputs: { text: t.string },
  outputs: { upper: t.string, length: t.int64 },
  handler: (row) => ({ upper: row.text.toUpperCase(), length: row.text.length }),
});

// Rides along in the same component so the engine benchmark reports what each engine provides.
export { compat } from "./compat.ts";
