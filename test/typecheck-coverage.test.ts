// `npm test` type-checks every TypeScript file git tracks, but for user modules (fixtures): a folder added
// beside the others, or a file reached only by spawning a process, cannot fall out of the check unnoticed.
import { execFileSync } from "node:child_process";
import { dirname, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";
import { expect, test } from "vitest";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
/** User modules, some broken on purpose; the guest's globals, which the deploy type-check reads instead. */
const NOT_CHECKED = [/(^|\/)fixtures\//, /^guest-sdk\/js\/guest-env\.d\.ts$/];

test("tsc checks every tracked TypeScript file outside fixtures", () => {
  const { config } = ts.readConfigFile(resolve(ROOT, "tsconfig.json"), ts.sys.readFile);
  const checked = ts.parseJsonConfigFileContent(config, ts.sys, ROOT).fileNames.map((f) => relative(ROOT, f));
  const tracked = execFileSync("git", ["ls-files", "*.ts", "*.mts", "*.cts", "*.tsx"], { cwd: ROOT, encoding: "utf8" })
    .split("\n")
    .filter((f) => f && !NOT_CHECKED.some((skip) => skip.test(f)));
  expect(tracked.length).toBeGreaterThan(300);
  expect(tracked.filter((f) => !checked.includes(f))).toEqual([]);
});
