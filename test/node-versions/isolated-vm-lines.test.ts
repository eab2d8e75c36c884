/**
 * The isolated-vm loader on this machine's Node: which lines are installed,
 * which one an executor runs, and what the permission model must let an
 * executor read to load each.
 */
import { afterAll, describe, expect, it } from "vitest";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { executorCode } from "../../supervision/code.ts";
import { executorSandbox } from "../../supervision/sandbox.ts";
import { ISOLATED_VM_PACKAGES, isolatedVmFolders, isolatedVmReadable, loadIsolatedVm } from "../../runtime/v8/isolated-vm.ts";

const scratch = await mkdtemp(join(tmpdir(), "vial-ivm-lines-"));

afterAll(() => rm(scratch, { recursive: true, force: true }));

async function fakePackage(name: string, dependencies: Record<string, string>): Promise<string> {
  const dir = join(scratch, "node_modules", name);
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, "package.json"), JSON.stringify({ name, version: "1.0.0", dependencies }));
  return dir;
}

describe(`isolated-vm on Node ${process.versions.node}`, () => {
  it("is tried newest line first, among those npm installed for this Node", () => {
    const names = isolatedVmFolders().map((f) => basename(f));
    expect(names.length).toBeGreaterThan(0);
    expect(names).toEqual(ISOLATED_VM_PACKAGES.filter((p) => names.includes(p)));
  });

  it("loads here, and an executor loads the same line the loader picks", async () => {
    const ivm = await loadIsolatedVm();
    if (ivm instanceof Error) throw ivm;
    const isolate = new ivm.Isolate({ memoryLimit: 8 });
    expect(isolate.compileScriptSync("6*7").runSync(isolate.createContextSync())).toBe(42);
    isolate.dispose();
    const { v8 } = (await executorSandbox(await executorCode())).report;
    expect(v8).toMatchObject({ available: true });
    const loaded = (v8 as { isolatedVm: string }).isolatedVm.split(" ")[0];
    expect(ISOLATED_VM_PACKAGES).toContain(loaded);
  });

  it("grants an executor node-gyp-build and its musl check only for the lines that load through it", async () => {
    const plain = await fakePackage("ivm-plain", { "prebuild-install": "*" });
    const gyp = await fakePackage("ivm-gyp", { "node-gyp-build": "*" });
    const nodeGypBuild = await fakePackage("node-gyp-build", {});
    expect(isolatedVmReadable([plain])).toEqual([plain]);
    expect(isolatedVmReadable([plain, gyp])).toEqual([plain, gyp, nodeGypBuild, "/etc/alpine-release"]);
  });
});
