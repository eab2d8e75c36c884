/**
 * The sandbox is chosen by trying setups, strongest first, and the one kept
 * must run V8 when a weaker one does: an install that `nobody` may not read
 * (npm installed under root's 0700 home, or a private temp folder) must not
 * leave V8 environments on the component engine while the host's own user
 * could load isolated-vm.
 */
import { afterAll, beforeAll, expect, it } from "vitest";
import { cp, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { executorCode } from "../../supervision/code.ts";
import { executorSandbox, type Sandbox } from "../../supervision/sandbox.ts";

const asRoot = process.getuid?.() === 0;
let privateInstall: string;
let sandbox: Sandbox;

beforeAll(async () => {
  const code = await executorCode();
  // mkdtemp's folder is 0700: only the host's user may enter it.
  privateInstall = await mkdtemp(join(tmpdir(), "vial-private-install-"));
  const copies = await Promise.all(
    code.isolatedVm.map(async (folder) => {
      const copy = join(privateInstall, basename(folder));
      await cp(folder, copy, { recursive: true });
      return copy;
    }),
  );
  sandbox = await executorSandbox({ ...code, isolatedVm: copies, readable: [...code.readable, ...copies] });
}, 60_000);

afterAll(() => rm(privateInstall, { recursive: true, force: true }));

it("runs V8 from an install only the host's user may read, and says why it is not nobody", () => {
  expect(sandbox.report.v8).toMatchObject({ available: true });
  if (!asRoot) return; // Without root there is no `nobody` to try.
  expect(sandbox.report.user).toMatch(/^the host's user/);
  expect(sandbox.report.warnings).toEqual(expect.arrayContaining([expect.stringMatching(/^tried and failed: .*as nobody: isolated-vm cannot run in an executor here \(Error: .*vial-private-install-/)]));
});
