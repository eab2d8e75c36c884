import { execFileSync } from "node:child_process";
import { mkdir, mkdtemp, readdir, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { installPythonRequirements, requirementsDigest } from "../../builds/python/requirements.js";
import { nativeRequirements } from "../../builds/python/native-requirements.js";
import { FIXTURES, fuzzyRequirements, makeWheel } from "../../testing/python.ts";

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
      /native dependency refused: fastmath-1\.0-cp311-cp311-manylinux_2_17_x86_64\.whl .*vial builds native packages only from a recipe, and has none for fastmath \(it has: numpy/,
    );
  });

  it("points a native numpy wheel to numpy's recipe", async () => {
    const { dir, file } = await project(["./wheels/numpy-1.24.2-cp311-cp311-manylinux_2_17_x86_64.whl"]);
    await writeFile(join(dir, "wheels", "numpy-1.24.2-cp311-cp311-manylinux_2_17_x86_64.whl"), "");
    await expect(installPythonRequirements(file, join(dir, "site"))).rejects.toThrow(/vial builds numpy from source for the sandbox: require numpy==1\.24\.2 instead/);
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

  it("names the package the requirements asked for before the native ones it pulled in", async () => {
    const { dir, file } = await project(["--find-links ./wheels", "zframe==1.0"]);
    for (const [name, requires] of [["anum", ""], ["zframe", "anum"]]) {
      const pkg = join(dir, name);
      await mkdir(pkg);
      await writeFile(join(pkg, "__init__.py"), "");
      await writeFile(join(pkg, "_core.cpython-311-x86_64-linux-gnu.so"), "\x7fELF");
      execFileSync("python3", [join(FIXTURES, "make_wheel.py"), join(dir, "wheels"), name, "1.0", "py3-none-any", pkg], {
        env: { ...process.env, MAKE_WHEEL_REQUIRES: requires },
      });
    }
    await expect(installPythonRequirements(file, join(dir, "site"))).rejects.toThrow(
      /^native dependency refused: zframe-1\.0 \(contains compiled _core\.cpython-311-x86_64-linux-gnu\.so; with it anum-1\.0\)\. vial builds native packages only from a recipe, and has none for zframe/,
    );
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

describe("nativeRequirements", () => {
  const versions = (lines: string[]) => nativeRequirements(lines).map((r) => `${r.recipe.name} ${r.version}${r.localSdist ? " (local)" : ""}`);

  it("finds the packages vial builds from a recipe, pinned, bare or as a local sdist", () => {
    expect(versions(["numpy==1.24.2", "fuzzywuzzy==0.18.0"])).toEqual(["numpy 1.24.2"]);
    expect(versions(["NumPy"])).toEqual(["numpy 1.24.2"]);
    expect(versions(["numpy == 1.24.2 ; python_version >= '3.8'"])).toEqual(["numpy 1.24.2"]);
    expect(versions(["/somewhere/numpy-1.24.3.tar.gz"])).toEqual(["numpy 1.24.3 (local)"]);
  });

  it("builds what a package needs first, at its default version unless a line names it", () => {
    expect(versions(["pandas"])).toEqual(["numpy 1.24.2", "pandas 2.2.3"]);
    expect(nativeRequirements(["pandas==2.2.3"]).map((r) => [r.recipe.name, r.line, r.neededBy])).toEqual([
      ["numpy", undefined, "pandas"],
      ["pandas", "pandas==2.2.3", undefined],
    ]);
    expect(versions(["pandas==2.2.3", "/somewhere/numpy-1.24.3.tar.gz"])).toEqual(["numpy 1.24.3 (local)", "pandas 2.2.3"]);
  });

  it("asks for one pinned version the recipe builds", () => {
    expect(() => nativeRequirements(["numpy>=1.20"])).toThrow(/numpy>=1\.20: pin numpy to one version \(numpy==1\.24\.2\)/);
    expect(() => nativeRequirements(["numpy==2.0.0"])).toThrow(/vial's numpy recipe does not build numpy 2\.0\.0: use numpy==1\.24\.2/);
    expect(() => nativeRequirements(["pandas==1.5.3"])).toThrow(/vial's pandas recipe does not build pandas 1\.5\.3: use pandas==2\.2\.3/);
  });
});
