// Where a native package's source comes from, and what is said when none has it.
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { findSource } from "../../builds/python/native-source.ts";
import { numpy } from "../../builds/python/recipes/numpy.ts";

const quiet = () => {};

describe("findSource", () => {
  it("takes a local sdist first, then the copy vial ships", async () => {
    const work = await mkdtemp(join(tmpdir(), "vial-src-"));
    const local = join(work, "numpy-1.24.2.tar.gz");
    await writeFile(local, "");
    expect(await findSource({ recipe: numpy, version: "1.24.2", localSdist: local, indexes: async () => [], work, cacheDir: work, progress: quiet })).toBe(local);
    expect(await findSource({ recipe: numpy, version: "1.24.2", indexes: async () => [], work, cacheDir: work, progress: quiet })).toBe(numpy.shippedSources["1.24.2"]);
  });

  it("names everything it tried when nothing has the version, and what to do", async () => {
    const work = await mkdtemp(join(tmpdir(), "vial-src-"));
    await expect(findSource({ recipe: numpy, version: "1.24.3", indexes: async () => [], work, cacheDir: work, progress: quiet })).rejects.toThrow(
      /^no source for numpy 1\.24\.3 \(vial ships 1\.24\.2; no package index answers; Debian: [^)]*\): put a local sdist in the requirements instead, e\.g\. \.\/numpy-1\.24\.3\.tar\.gz$/,
    );
  }, 60_000);
});
