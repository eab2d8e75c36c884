/**
 * Executors start clean: no descriptor of the host's but their channel and
 * stdio (one the host was given without close-on-exec included), their code
 * exactly as the host bundled it (code planted in the cache is replaced,
 * never run), a /tmp and /dev/shm of their own, no new privileges, no
 * capabilities, and namespaces of their own. Probes are started exactly the
 * way executors are; where a host's own start matters, the host is a real
 * `vial serve` process.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { spawn, execFile, type StdioOptions } from "node:child_process";
import { once } from "node:events";
import { randomUUID } from "node:crypto";
import { createInterface } from "node:readline";
import { promisify } from "node:util";
import { closeSync, existsSync, openSync, readFileSync, readlinkSync } from "node:fs";
import { chmod, chown, lstat, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import type { Store } from "../../builds/store.ts";
import { executorCode, type ExecutorCode } from "../../supervision/code.ts";
import { executorSandbox, type Sandbox } from "../../supervision/sandbox.ts";
import { deployModule, executorOf, REPO, tempStore } from "../host/helpers.ts";
import { SECURITY_FIXTURES, watchedHost, type Watched } from "./helpers.ts";
import { probe } from "./probes.ts";

const ENV = "clean";
const NOBODY = 65534;
const root = process.getuid?.() === 0;

let store: Store;
let code: ExecutorCode;
let sandbox: Sandbox;
let scratch: string;
let host: Watched;

beforeAll(async () => {
  store = await tempStore();
  await deployModule(store, ENV, join(SECURITY_FIXTURES, "package.json"), join(SECURITY_FIXTURES, "process-memory.ts"));
  code = await executorCode();
  sandbox = await executorSandbox(code);
  // Outside the temp folder (executors do not see it), open to the executors' user like a checkout.
  await mkdir(join(REPO, ".scratch"), { recursive: true });
  scratch = await mkdtemp(join(REPO, ".scratch", "vial-start-"));
  await chmod(scratch, 0o755);
  host = await watchedHost(store, { pool: { size: 1 } });
}, 300_000);

afterAll(async () => {
  await host?.close();
  if (store) await rm(store.root, { recursive: true, force: true });
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

describe("descriptors", () => {
  it("one the host was given without close-on-exec is /dev/null in its executors, with or without the permission model", async () => {
    const secret = join(scratch, "given-secret");
    const token = `the host's token ${randomUUID()}`;
    await writeFile(secret, token, { mode: 0o600 });
    // Handed to the host as a service manager would: descriptor 40, open on a private file.
    const given = openSync(secret, "r");
    const stdio: StdioOptions = ["ignore", "pipe", "pipe", ...Array<"ignore">(37).fill("ignore"), given];
    const child = spawn(process.execPath, ["--import", "tsx", join(SECURITY_FIXTURES, "descriptor-host.mts")], { cwd: REPO, stdio });
    closeSync(given);
    let out = "";
    let err = "";
    child.stdout!.on("data", (c: Buffer) => (out += c));
    child.stderr!.on("data", (c: Buffer) => (err += c));
    const [status] = await once(child, "exit");
    expect(status, err).toBe(0);
    const found = JSON.parse(out) as { host: string; shielded: number[]; withPermissionModel: { read: string }; native: { read: string; target: string } };
    // The host itself reads the file through 40: the descriptor was there to be inherited.
    expect(found.host).toBe(token);
    expect(found.shielded).toContain(40);
    expect(found.withPermissionModel.read).toBe("");
    expect(found.native).toEqual({ read: "", target: "/dev/null" });
  }, 120_000);
});

describe("/tmp and /dev/shm", () => {
  it("are the executor's own: nothing of the host's in them, and what it writes stays there", async () => {
    if (!sandbox.report.privateTmp) {
      expect(sandbox.report.warnings.join(" ")).toMatch(/\/tmp and \/dev\/shm/);
      return;
    }
    const name = `vial-marker-${randomUUID()}`;
    const markers = [join(tmpdir(), name), join("/dev/shm", name)];
    for (const marker of markers) await writeFile(marker, "the host's", { mode: 0o644 });
    const written = join(tmpdir(), `vial-written-${randomUUID()}`);
    const LOOK = `const fs = require("node:fs"), [a, b, written, codeDir] = process.argv.slice(-4);
const code = (fn) => { try { const r = fn(); return r === undefined ? "allowed" : r; } catch (e) { return e.code; } };
process.stdout.write(JSON.stringify({
  tmp: code(() => fs.readdirSync("/tmp")), shm: code(() => fs.readdirSync("/dev/shm")),
  readMarkers: [code(() => fs.readFileSync(a, "utf8")), code(() => fs.readFileSync(b, "utf8"))],
  write: code(() => fs.writeFileSync(written, "x")), writeCode: code(() => fs.writeFileSync(codeDir + "/planted.mjs", "x")),
}));`;
    try {
      // The mounts alone: Landlock would refuse these reads and writes before they reach them.
      const native = await probe(sandbox, LOOK, [...markers, written, code.dir], { permissionModel: false, confinement: false });
      expect(native.readMarkers).toEqual(["ENOENT", "ENOENT"]);
      expect(native.shm).toEqual([]);
      expect(native.tmp).not.toContain(name);
      // Its /tmp takes what it writes, in memory of its own: the host's never sees it.
      expect(native.write).toBe("allowed");
      expect(existsSync(written)).toBe(false);
      // Its code is there, read-only, even for root of its namespace.
      expect(native.writeCode).toBe("EROFS");
      const js = await probe(sandbox, LOOK, [...markers, written, code.dir], { permissionModel: true, confinement: false });
      expect(js.readMarkers).toEqual(["ERR_ACCESS_DENIED", "ERR_ACCESS_DENIED"]);
      expect(js.write).toBe("ERR_ACCESS_DENIED");
    } finally {
      for (const marker of markers) await rm(marker, { force: true });
    }
  });
});

describe("a running executor", () => {
  it("has no new privileges, no capabilities, and namespaces of its own", async () => {
    const { pid } = await executorOf(host.base, ENV);
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const field = (name: string) => new RegExp(`^${name}:\\s+(\\S+)`, "m").exec(status)?.[1];
    expect(field("NoNewPrivs")).toBe("1");
    expect(field("CapEff")).toBe("0000000000000000");
    expect(field("CapPrm")).toBe("0000000000000000");
    if (!sandbox.report.namespaces) return void expect(sandbox.report.warnings.join(" ")).toMatch(/network, process, IPC and UTS namespaces/);
    expect(field("CapBnd")).toBe("0000000000000000");
    for (const ns of ["user", "net", "pid", "mnt", "ipc", "uts"]) {
      expect(readlinkSync(`/proc/${pid}/ns/${ns}`), ns).not.toBe(readlinkSync(`/proc/self/ns/${ns}`));
    }
  });

  it("runs its code from a cache folder only the host's user writes", async () => {
    const folder = await lstat(code.dir);
    const cache = await lstat(join(code.dir, ".."));
    const entry = await lstat(code.entry);
    expect([folder.uid, cache.uid, entry.uid]).toEqual([process.getuid!(), process.getuid!(), process.getuid!()]);
    // Readable by the executors' user too: as root, executors run as nobody and read it as their group.
    const [folderMode, fileMode, group] = root ? [0o750, 0o440, NOBODY] : [0o700, 0o400, folder.gid];
    expect([folder.mode & 0o777, cache.mode & 0o777, entry.mode & 0o777]).toEqual([folderMode, folderMode, fileMode]);
    expect([folder.gid, cache.gid, entry.gid]).toEqual([group, group, group]);
    const { pid } = await executorOf(host.base, ENV);
    expect(readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0")).toContain(code.entry);
  });
});

/** A `vial serve` process with its own temp folder (so its own code cache); resolves once it is ready. */
async function serveWithTmp(tmp: string): Promise<{ base: string; output: () => string; stop: () => Promise<void> }> {
  const child = spawn(process.execPath, [join(REPO, "bin", "vial.js"), "serve", "--store", store.root, "--host", "127.0.0.1", "--port", "0"], {
    env: { PATH: process.env.PATH, HOME: process.env.HOME, TMPDIR: tmp },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stderr.on("data", (c: Buffer) => (output += c));
  const exited = once(child, "exit");
  const base = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout }).on("line", (line) => {
      output += `${line}\n`;
      const match = /"address":"([^"]+)"/.exec(line);
      if (match) resolve(match[1]!);
    });
    void exited.then(([status]) => reject(new Error(`vial serve exited with ${status}: ${output}`)));
  });
  while ((await fetch(`${base}/readyz`).then((r) => r.status, () => 0)) !== 200) await new Promise((r) => setTimeout(r, 100));
  return {
    base,
    output: () => output,
    stop: async () => {
      child.kill("SIGTERM");
      await exited;
    },
  };
}

/** The folder a `vial serve` process keeps its code in, below its cache (named by its bundle's digest): loaded as bin/vial.js loads it. */
async function servedCodeFolder(tmp: string): Promise<string> {
  const program = `import { register } from "tsx/esm/api"; register();
const { executorCode } = await import(${JSON.stringify(join(REPO, "supervision", "code.ts"))}); process.stdout.write((await executorCode()).dir);`;
  const { stdout } = await promisify(execFile)(process.execPath, ["--input-type=module", "-e", program], { cwd: REPO, env: { PATH: process.env.PATH, TMPDIR: tmp } });
  return basename(stdout);
}

/** Code that, if it ever ran as an executor, would say so in the host's log (executor stderr is logged) and end. */
const planted = (marker: string) => `process.stderr.write(${JSON.stringify(marker)} + "\\n"); process.exit(3);\n`;

async function servesAndReports(tmp: string, marker: string): Promise<{ warnings: string[]; output: string }> {
  const served = await serveWithTmp(tmp);
  try {
    const answer = await fetch(`${served.base}/v1/invoke/${ENV}/echo`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ rows: [{ arg: "clean" }] }) });
    expect(answer.status, served.output()).toBe(200);
    expect(((await answer.json()) as { rows: unknown[] }).rows).toEqual([{ result: "clean" }]);
    const { sandbox: report } = (await (await fetch(`${served.base}/v1/environments`)).json()) as { sandbox: { warnings: string[] } };
    return { warnings: report.warnings, output: served.output() };
  } finally {
    await served.stop();
    expect(served.output()).not.toContain(marker);
  }
}

describe("the executor's code cache", () => {
  let folder: string;
  beforeAll(async () => {
    folder = await servedCodeFolder(await mkdtemp(join(scratch, "tmp-")));
  }, 60_000);

  it("code planted in the host's own cache folder before it starts is written over, never run", async () => {
    const tmp = await mkdtemp(join(scratch, "tmp-"));
    await chmod(tmp, 0o755);
    const marker = `PLANTED-${randomUUID()}`;
    // Planted where this host will look, as its own user would, with the modes the host gives: only the content differs.
    const dir = join(tmp, `vial-${process.getuid!()}`, folder);
    await mkdir(dir, { recursive: true });
    const plant = join(tmp, "plant.mjs");
    await writeFile(plant, planted(marker));
    await writeFile(join(dir, "executor.mjs"), planted(marker));
    await symlink(plant, join(dir, "component-worker.mjs"));
    const [folderMode, fileMode] = root ? [0o750, 0o440] : [0o700, 0o400];
    for (const [path, mode] of [[join(dir, ".."), folderMode], [dir, folderMode], [join(dir, "executor.mjs"), fileMode]] as const) {
      if (root) await chown(path, 0, NOBODY);
      await chmod(path, mode);
    }
    const { warnings } = await servesAndReports(tmp, marker);
    expect(warnings.join(" ")).toMatch(/did not match this host's bundle \(executor\.mjs, component-worker\.mjs\): written again/);
    expect(await readFile(join(dir, "executor.mjs"), "utf8")).toBe(await readFile(code.entry, "utf8"));
    expect((await lstat(join(dir, "component-worker.mjs"))).isFile()).toBe(true);
  }, 180_000);

  it("a cache folder that is someone else's (or a link) is not used at all", async () => {
    const tmp = await mkdtemp(join(scratch, "tmp-"));
    await chmod(tmp, 0o755);
    const marker = `PLANTED-${randomUUID()}`;
    const theirs = join(tmp, root ? `vial-${process.getuid!()}` : "elsewhere");
    const dir = join(theirs, folder);
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, "executor.mjs"), planted(marker));
    // As root: another user's folder under the cache's name. Otherwise: a link under that name to a folder planted beside it.
    if (root) await promisify(execFile)("chown", ["-R", `${NOBODY}:${NOBODY}`, theirs]);
    else await symlink(theirs, join(tmp, `vial-${process.getuid!()}`));
    const { warnings } = await servesAndReports(tmp, marker);
    const fresh = `${tmp}/vial-${process.getuid!()}-`.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
    expect(warnings.join(" ")).toMatch(new RegExp(`the executor's code is kept in ${fresh}\\w+, a folder of this process's own: .*(uid ${NOBODY}'s|a link)`));
    // What was planted is left as it was: the host neither ran nor touched it.
    expect(await readFile(join(dir, "executor.mjs"), "utf8")).toBe(planted(marker));
  }, 180_000);
});
