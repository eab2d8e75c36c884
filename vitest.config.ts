import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // Tests build real components (seconds each) and start real servers and workers.
    testTimeout: 180_000,
    hookTimeout: 600_000,
    pool: "forks",
    maxWorkers: 2,
  },
});
