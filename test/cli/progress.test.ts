/** The progress display: one rewritten line on a terminal, plain lines elsewhere; and rows files. */
import { describe, expect, it } from "vitest";
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createProgress } from "../../cli/progress.ts";
import { readRows } from "../../cli/rows-file.ts";

function stream(isTTY: boolean) {
  const written: string[] = [];
  return { isTTY, written, write: (text: string) => void written.push(text) };
}

describe("progress", () => {
  it("rewrites one line on a terminal, keeps each finished step with its time, and marks a failed one", async () => {
    const out = stream(true);
    let now = 0;
    const progress = createProgress(out, () => now);
    progress("bundling");
    now = 1500;
    progress("componentizing with quickjs");
    now = 4000;
    await expect(progress.track(Promise.reject(new Error("no")))).rejects.toThrow("no");
    const text = out.written.join("");
    expect(text).toContain("\r\x1b[K✓ bundling (1.5 s)\n");
    expect(text).toContain("\r\x1b[K✗ componentizing with quickjs (2.5 s)\n");
    expect(text.split("\n").at(-1)).toBe("");
  });

  it("writes plain lines where there is no terminal", () => {
    const out = stream(false);
    const progress = createProgress(out);
    progress("installing 3 packages");
    progress.done();
    expect(out.written).toEqual(["  installing 3 packages\n"]);
  });
});

describe("rows files", () => {
  it("reads arrays, {rows} documents, ndjson and inline JSON, and says where a mistake is", async () => {
    const dir = await mkdtemp(join(tmpdir(), "vial-rows-"));
    const file = (name: string, text: string) => writeFile(join(dir, name), text).then(() => join(dir, name));
    expect(await readRows(await file("a.json", '[{"x": 1}]'))).toEqual([{ x: 1 }]);
    expect(await readRows(await file("b.json", '{"rows": [{"x": 2}]}'))).toEqual([{ x: 2 }]);
    expect(await readRows(await file("c.ndjson", '{"x": 1}\n\n{"x": 2}\n'))).toEqual([{ x: 1 }, { x: 2 }]);
    expect(await readRows('[{"x": 3}]')).toEqual([{ x: 3 }]);
    await expect(readRows(await file("d.ndjson", '{"x": 1}\n{"x"\n'))).rejects.toThrow(/d\.ndjson line 2 is not valid JSON/);
    await expect(readRows(await file("e.json", '{"x": 1}'))).rejects.toThrow(/must hold a JSON array of rows or \{"rows": \[\.\.\.\]\}/);
    await expect(readRows(join(dir, "missing.json"))).rejects.toThrow(/rows file .*missing\.json does not exist/);
  });
});
