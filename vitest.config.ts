import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

export default defineConfig({
  // What a user module imports, as tsconfig's paths and the deploy's bundler resolve it: tests import examples natively.
  resolve: { alias: { "@vial/guest": fileURLToPath(new URL("./guest-sdk/js/index.ts", import.meta.url)) } },
  test: {
    include: ["test/**/*.test.ts"],
    // Tests build real components (seconds each) and start real servers and workers.
    testTimeout: 180_000,
    // The first Python test on a new machine builds the interpreter (minutes; other files wait on its lock).
    hookTimeout: 1_800_000,
    pool: "forks",
    maxWorkers: 2,
  },
});
