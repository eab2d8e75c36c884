// An executor's stderr is read in bounded lines at a bounded rate, from a real process's pipe.
import { expect, it } from "vitest";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { MAX_LINE_BYTES, readStderrLines } from "../../supervision/stderr-lines.ts";

async function linesOf(script: string): Promise<string[]> {
  const child = spawn(process.execPath, ["-e", script], { stdio: ["ignore", "ignore", "pipe"] });
  const lines: string[] = [];
  readStderrLines(child.stderr!, (line) => lines.push(line));
  await once(child.stderr!, "end");
  return lines;
}

it("cuts an endless line at its bound and goes on with the next", async () => {
  const lines = await linesOf(`process.stderr.write("x".repeat(50_000_000) + "\\nnext\\n")`);
  expect(lines).toHaveLength(2);
  expect(lines[0]!.length).toBeLessThan(MAX_LINE_BYTES + 32);
  expect(lines[0]).toMatch(/… \(line cut\)$/);
  expect(lines[1]).toBe("next");
});

it("passes on lines up to its rate, and says how many it dropped", async () => {
  const lines = await linesOf(`for (let i = 0; i < 5000; i++) process.stderr.write("line " + i + "\\n"); setTimeout(() => process.stderr.write("later\\n"), 1200)`);
  expect(lines.length).toBeLessThan(200);
  expect(lines[0]).toBe("line 0");
  expect(lines.at(-1)).toMatch(/^\(\d+ lines dropped: over 20 a second\) later$/);
});
