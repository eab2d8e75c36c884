/**
 * What code that got out of its isolate would find, on this machine: a probe
 * program is started exactly the way executors are (the real launcher), and
 * tries to read secrets and the store, write, spawn, connect, and reach the
 * host's process. Once with Node's permission model (an escape into the
 * executor's JS), once without it (native code, bound only by the kernel:
 * namespaces and the user it runs as). Both without the layers executors
 * set on themselves, which confinement.test.ts tries.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createServer, type Server } from "node:net";
import { once } from "node:events";
import { chmod, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { executorCode } from "../../supervision/code.ts";
import { EXECUTOR_ENV, executorSandbox, runProbe, type LaunchCommand, type Sandbox } from "../../supervision/sandbox.ts";
import { REPO } from "../host/helpers.ts";
import { withoutConfinement, withoutPermissionModel } from "./probes.ts";

/** Each attempt reports the error code it met, or "allowed". */
const PROBE = `
const fs = require("node:fs"), net = require("node:net"), cp = require("node:child_process");
const [secret, store, port, hostPid] = process.argv.slice(-4);
const code = (fn) => { try { fn(); return "allowed"; } catch (e) { return e.code ?? e.message; } };
const connect = () => new Promise((resolve) => {
  const socket = net.connect(Number(port), "127.0.0.1");
  socket.on("connect", () => { socket.destroy(); resolve("allowed"); });
  socket.on("error", (e) => resolve(e.code));
});
connect().then((tcp) => {
  process.stdout.write(JSON.stringify({
    env: Object.keys(process.env),
    readSecret: code(() => fs.readFileSync(secret)),
    readStore: code(() => fs.readdirSync(store)),
    write: code(() => fs.writeFileSync(secret + ".written", "x")),
    spawn: code(() => { const r = cp.spawnSync("true"); if (r.error) throw r.error; }),
    tcp,
    hostEnviron: code(() => fs.readFileSync("/proc/" + hostPid + "/environ")),
    signalHost: code(() => process.kill(Number(hostPid), 0)),
    processes: (() => { try { return fs.readdirSync("/proc").filter((p) => /^\\d+$/.test(p)); } catch (e) { return e.code; } })(),
  }));
});`;

type Report = Record<string, unknown>;

let sandbox: Sandbox;
let scratch: string;
let secret: string;
let listener: Server;
let port: number;

const run = async (command: LaunchCommand): Promise<Report> => JSON.parse(await runProbe(command)) as Report;

/** The executor's launch, with the probe in place of its entry; the layers confinement adds are tested on their own (confinement.test.ts). */
const asExecutor = () => withoutConfinement(sandbox.launch("v8", ["-e", PROBE, secret, REPO, String(port), String(process.pid)]));

beforeAll(async () => {
  sandbox = await executorSandbox(await executorCode());
  // Outside the temp folder, which executors do not see at all where they get a /tmp of their own.
  await mkdir(join(REPO, ".scratch"), { recursive: true });
  scratch = await mkdtemp(join(REPO, ".scratch", "vial-sandbox-"));
  await chmod(scratch, 0o755);
  secret = join(scratch, "host-secret");
  await writeFile(secret, "the host's token", { mode: 0o600 });
  listener = createServer((socket) => socket.destroy());
  listener.listen(0, "127.0.0.1");
  await once(listener, "listening");
  port = (listener.address() as { port: number }).port;
});

afterAll(async () => {
  listener?.close();
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

describe("an executor's sandbox on this machine", () => {
  it("is reported, with what it lacks", () => {
    expect(sandbox.report).toMatchObject({ permissionModel: true, environment: "empty", noNewPrivileges: true, limits: { memory: "watchdog", processes: sandbox.report.namespaces } });
    if (!sandbox.report.namespaces) expect(sandbox.report.warnings.join(" ")).toMatch(/share the host's network and process namespaces/);
  });

  it("holds code that escaped into the executor's JS: no files but its own, no writes, no processes, no network, no host", async () => {
    const report = await run(asExecutor());
    // Nothing of the host's environment: only the variables the launcher sets itself.
    expect(report.env).toEqual(Object.keys(EXECUTOR_ENV));
    expect(report).toMatchObject({ readSecret: "ERR_ACCESS_DENIED", readStore: "ERR_ACCESS_DENIED", write: "ERR_ACCESS_DENIED", spawn: "ERR_ACCESS_DENIED", hostEnviron: "ERR_ACCESS_DENIED" });
    if (sandbox.report.namespaces) expect(report).toMatchObject({ tcp: "ENETUNREACH", signalHost: "ESRCH" });
  });

  it("holds native code by the kernel alone: no network, no other process in sight, and no root's files when the host is root", async () => {
    const report = await run(withoutPermissionModel(asExecutor()));
    expect(report.env).toEqual(Object.keys(EXECUTOR_ENV));
    if (sandbox.report.namespaces) {
      expect(report).toMatchObject({ tcp: "ENETUNREACH", signalHost: "ESRCH", hostEnviron: "ENOENT" });
      // Its own process namespace: itself (pid 1) and what it starts, nothing of the host's.
      expect(report.processes).toEqual(["1"]);
    }
    if (sandbox.report.user.startsWith("nobody")) {
      // Not root's to read or write; not there at all where the checkout lies under /tmp, which executors get a
      // private one of.
      expect(["EACCES", "ENOENT"]).toContain(report.readSecret);
      expect(["EACCES", "ENOENT"]).toContain(report.write);
    }
  });
});
