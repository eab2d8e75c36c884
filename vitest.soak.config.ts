import { defineConfig } from "vitest/config";

/** `npm run test:soak`: long-running load, kept out of `npm test` (SOAK_SECONDS sets the duration, default 60). */
export default defineConfig({
  test: {
    include: ["test/soak/**/*.soak.ts"],
    testTimeout: 60 * 60_000,
    hookTimeout: 600_000,
    pool: "forks",
    maxWorkers: 1,
  },
});
