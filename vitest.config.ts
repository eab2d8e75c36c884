import { defineConfig } from "vitest/config";

export default defineConfig({
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
