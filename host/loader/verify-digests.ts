/** A version's files must be the bytes its manifest describes: anything else was changed after deploy. */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { sha256 } from "../../builds/digest.ts";
import type { Manifest } from "../../builds/manifest.ts";

/** Returns the problems found (empty when every digest matches). */
export async function digestProblems(versionDir: string, manifest: Manifest): Promise<string[]> {
  const expected: Array<[string, string]> = [
    [manifest.component.file, manifest.component.sha256],
    [manifest.bindings.file, manifest.bindings.sha256],
    ...manifest.core.map(({ file, sha256 }): [string, string] => [join("core", file), sha256]),
  ];
  const problems: string[] = [];
  for (const [file, digest] of expected) {
    let actual: string;
    try {
      actual = sha256(await readFile(join(versionDir, file)));
    } catch {
      problems.push(`${file} is missing`);
      continue;
    }
    if (actual !== digest) problems.push(`${file} has sha256 ${actual.slice(0, 12)}…, the manifest says ${digest.slice(0, 12)}…`);
  }
  return problems;
}
