import { defineConfig } from "vitest/config";

/** The smoke run on other Node lines: after the suite and alone, since it installs and builds the project again. */
export default defineConfig({
  test: {
    include: ["test/node-versions/*.smoke.ts"],
    testTimeout: 300_000,
    hookTimeout: 900_000,
    pool: "forks",
    maxWorkers: 1,
  },
});
