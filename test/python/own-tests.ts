/** numpy's and pandas' own tests, run inside a component by a suite (test/python/fixtures/own-tests). */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { expect } from "vitest";
import { FIXTURES, type Guest } from "../../testing/python.ts";

export const OWN_TESTS = join(FIXTURES, "own-tests");

/** The test modules a suite lists (its MODULES), so that the suite and its test cannot differ. */
export function suiteModules(suite: string): string[] {
  return [...readFileSync(suite, "utf8").matchAll(/^ {4}"([\w.]+\.tests\.[\w.]+)",$/gm)].map((m) => m[1]!);
}

type Outcomes = Record<"passed" | "failed" | "skipped" | "xfailed" | "xpassed", number>;

/** Runs one test module through the suite's `run_tests`, prints its counts and checks that none failed. */
export function runOwnTests(suite: Guest, module: string): Outcomes {
  const answer = JSON.parse(suite.call("run_tests", JSON.stringify([{ module }])));
  expect(answer.errors).toEqual([]);
  const [result] = answer.rows;
  console.log(`${module}: ${result.passed} passed, ${result.skipped} skipped, ${result.xfailed} xfailed, ${result.xpassed} xpassed`);
  expect(result.failures).toEqual([]);
  return result;
}
