/**
 * What a serving host writes is for its own user only: a `vial serve`
 * started with its log going to a file anyone could read makes the file
 * private (it holds every tenant's guest output), and creates files with
 * umask 077.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { closeSync, openSync, readFileSync } from "node:fs";
import { mkdir, mkdtemp, rm, stat } from "node:fs/promises";
import { join } from "node:path";
import { eventually, REPO } from "../host/helpers.ts";

let scratch: string;
let host: ChildProcess;
let log: string;

beforeAll(async () => {
  await mkdir(join(REPO, ".scratch"), { recursive: true });
  scratch = await mkdtemp(join(REPO, ".scratch", "vial-files-"));
  log = join(scratch, "vial.log");
  // As `vial serve > vial.log` from a shell with the usual umask leaves it: readable by everyone.
  const fd = openSync(log, "w", 0o644);
  host = spawn(process.execPath, [join(REPO, "bin", "vial.js"), "serve", "--store", join(scratch, "store"), "--port", "0"], { cwd: REPO, stdio: ["ignore", fd, fd] });
  closeSync(fd);
  await eventually(() => readFileSync(log, "utf8").includes('"msg":"host ready"'));
}, 120_000);

afterAll(async () => {
  if (host && host.exitCode === null) {
    host.kill("SIGTERM");
    await once(host, "exit");
  }
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

describe("a serving host's own files", () => {
  it("its log file is made private, and says so", async () => {
    expect((await stat(log)).mode & 0o777).toBe(0o600);
    // Stdout and stderr are the same file here: made private once.
    expect(readFileSync(log, "utf8")).toMatch(/"files":\["stdout \(a file that was mode 644, now 600\)"\],"msg":"the host's log could be read by other users: made private"/);
  });

  it("creates files for its own user only", () => {
    expect(readFileSync(`/proc/${host.pid}/status`, "utf8")).toMatch(/^Umask:\s+0077$/m);
  });
});
