// A failed build step is one line a user can act on: what failed, the step it reached, its last error, the log.
import { mkdtemp, readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect, it } from "vitest";
import { BuildLog, runLogged } from "../../builds/build-log.ts";

it("says in one line which step failed and where the whole output is", async () => {
  const cacheDir = await mkdtemp(join(tmpdir(), "vial-log-"));
  const log = BuildLog.open(cacheDir, "demo");
  const script = 'echo "==> unpack"; echo "==> compile"; for i in $(seq 300); do echo "cc file$i.c"; done; echo "file7.c:3: error: no such type" >&2; exit 2';
  const error = await runLogged("building demo", "bash", ["-c", script], log).catch((e: Error) => e);
  expect((error as Error).message).toBe(`building demo failed at "compile" (exit 2): file7.c:3: error: no such type; full log: ${log.path}`);
  const text = await readFile(log.path, "utf8");
  expect(text).toContain("cc file300.c");
  expect(log.path.startsWith(join(cacheDir, "logs", "demo-"))).toBe(true);
});
