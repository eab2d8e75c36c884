import { mkdir, mkdtemp, readdir, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { installPythonRequirements, requirementsDigest } from "../../builds/python/requirements.js";
import { fuzzyRequirements, makeWheel } from "./harness.js";

async function project(lines: string[]): Promise<{ dir: string; file: string }> {
  const dir = await mkdtemp(join(tmpdir(), "vial-req-test-"));
  await mkdir(join(dir, "wheels"));
  const file = join(dir, "requirements.txt");
  await writeFile(file, lines.join("\n") + "\n");
  return { dir, file };
}

describe("installPythonRequirements", () => {
  it("installs a local pure-Python wheel offline", async () => {
    const file = await fuzzyRequirements();
    const site = await mkdtemp(join(tmpdir(), "vial-site-"));
    await installPythonRequirements(file, site);
    expect(await readdir(site)).toContain("fuzzywuzzy");
  }, 120_000);

  it("refuses a native wheel by name", async () => {
    const { dir, file } = await project(["./wheels/fastmath-1.0-cp311-cp311-manylinux_2_17_x86_64.whl"]);
    const pkg = join(dir, "fastmath");
    await mkdir(pkg);
    await writeFile(join(pkg, "__init__.py"), "");
    makeWheel(join(dir, "wheels"), "fastmath", "1.0", "cp311-cp311-manylinux_2_17_x86_64", [pkg]);
    await expect(installPythonRequirements(file, join(dir, "site"))).rejects.toThrow(
      /native dependency refused: fastmath-1\.0-cp311-cp311-manylinux_2_17_x86_64\.whl/,
    );
  });

  it("refuses a wheel that claims to be pure but ships a compiled module", async () => {
    const { dir, file } = await project(["--find-links ./wheels", "sneaky==1.0"]);
    const pkg = join(dir, "sneaky");
    await mkdir(pkg);
    await writeFile(join(pkg, "__init__.py"), "");
    await writeFile(join(pkg, "_speedups.cpython-311-x86_64-linux-gnu.so"), "\x7fELF");
    makeWheel(join(dir, "wheels"), "sneaky", "1.0", "py3-none-any", [pkg]);
    await expect(installPythonRequirements(file, join(dir, "site"))).rejects.toThrow(/native dependency refused: sneaky-1\.0/);
  }, 120_000);

  it("names a missing local file", async () => {
    const { file } = await project(["# nothing here", "./wheels/absent-1.0-py3-none-any.whl"]);
    await expect(installPythonRequirements(file, "/tmp/never")).rejects.toThrow(
      /requirements\.txt line 2: file not found: \.\/wheels\/absent-1\.0-py3-none-any\.whl/,
    );
  });

  it("digests the file and the local files it references", async () => {
    const { dir, file } = await project(["./wheels/a-1.0-py3-none-any.whl"]);
    await writeFile(join(dir, "wheels", "a-1.0-py3-none-any.whl"), "one");
    const first = await requirementsDigest(file);
    expect(await requirementsDigest(file)).toBe(first);
    await writeFile(join(dir, "wheels", "a-1.0-py3-none-any.whl"), "two");
    expect(await requirementsDigest(file)).not.toBe(first);
  });
});
