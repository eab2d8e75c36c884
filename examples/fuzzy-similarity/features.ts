import { transformation, t } from "@vial/guest";
import { ratio, partial_ratio } from "fuzzball";

const BASELINE = "Mocha Cheesecake Fudge Brownie Bars";

/** How similar the request text is to a baseline product name (0-100). */
export const fuzzy_similarity = transformation({
  inputs: { text: t.string },
  outputs: { similarity: t.int64, partial_similarity: t.int64 },
  handler: (row) => ({
    similarity: ratio(BASELINE, row.text),
    partial_similarity: partial_ratio(BASELINE, row.text),
  }),
});
