/**
 * The layers an executor sets on itself, needing no privilege (so they hold
 * in any pod): no new privileges, Landlock and seccomp filters of its own.
 * Tried from native code, as a V8 escape would run: the host's own probe
 * (C functions called in a confined executor), and a probe program started
 * the way executors are but without Node's permission model, on every
 * thread; and read back from the kernel for every running executor.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createServer, type Server } from "node:net";
import { once } from "node:events";
import { readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import type { Store } from "../../builds/store.ts";
import { executorCode } from "../../supervision/code.ts";
import { executorSandbox, type Sandbox } from "../../supervision/sandbox.ts";
import { probeConfinement } from "../../supervision/confinement.ts";
import { deployModule, tempStore } from "../host/helpers.ts";
import { SECURITY_FIXTURES, watchedHost, type Watched } from "./helpers.ts";
import { probe } from "./probes.ts";

/** What native code tries, as an async function of { port, hostPid, codeDir }: per attempt the error code it met, or "allowed". */
const ATTEMPTS = `async ({ port, hostPid, codeDir }) => {
  const fs = require("node:fs"), net = require("node:net"), cp = require("node:child_process");
  const code = (fn) => { try { const r = fn(); if (r && r.error) throw r.error; return "allowed"; } catch (e) { return e.code ?? e.message; } };
  const connect = () => new Promise((resolve) => { const s = net.connect(port, "127.0.0.1"); s.on("connect", () => { s.destroy(); resolve("allowed"); }); s.on("error", (e) => resolve(e.code)); });
  const listen = () => new Promise((resolve) => { const s = net.createServer(); s.on("error", (e) => resolve(e.code)); s.listen(0, "127.0.0.1", () => { s.close(); resolve("allowed"); }); });
  return {
    readCode: code(() => fs.readdirSync(codeDir)),
    readOutside: code(() => fs.readFileSync("/etc/passwd")),
    listOutside: code(() => fs.readdirSync("/etc")),
    writeTmp: code(() => fs.writeFileSync("/tmp/vial-confinement-" + process.pid, "x")),
    hostEnvironment: code(() => fs.readFileSync("/proc/" + hostPid + "/environ")),
    spawn: code(() => cp.spawnSync("/bin/sh", ["-c", "true"])),
    spawnNode: code(() => cp.spawnSync(process.execPath, ["-e", "0"])),
    connect: await connect(),
    listen: await listen(),
  };
}`;
/** The attempts from the main thread and from a worker thread started after the layers were set. */
const NATIVE = `const ATTEMPTS = ${JSON.stringify(ATTEMPTS)};
const { Worker } = require("node:worker_threads");
const args = JSON.parse(process.argv.at(-1));
(async () => {
  const main = await eval(ATTEMPTS)(args);
  const worker = await new Promise((resolve) => {
    const w = new Worker("const { parentPort, workerData } = require('node:worker_threads'); (" + ATTEMPTS + ")(workerData).then((r) => parentPort.postMessage(r));", { eval: true, workerData: args });
    w.on("message", resolve);
    w.on("error", (e) => resolve(e.message));
  });
  process.stdout.write(JSON.stringify({ main, worker }));
})();`;

let sandbox: Sandbox;
let store: Store;
let host: Watched;
let listener: Server;
let port: number;

beforeAll(async () => {
  const code = await executorCode();
  sandbox = await executorSandbox(code);
  store = await tempStore();
  await deployModule(store, "confined-v8", join(SECURITY_FIXTURES, "package.json"), join(SECURITY_FIXTURES, "process-memory.ts"));
  host = await watchedHost(store, { pool: { size: 1 } });
  listener = createServer((socket) => socket.destroy());
  listener.listen(0, "127.0.0.1");
  await once(listener, "listening");
  port = (listener.address() as { port: number }).port;
}, 300_000);

afterAll(async () => {
  listener?.close();
  await host?.close();
  if (store) await rm(store.root, { recursive: true, force: true });
});

describe("an executor's own layers", () => {
  it("hold on this machine, and deny the host's native probe everything it tries", () => {
    const { confinement } = sandbox.report;
    expect(confinement).toMatchObject({ available: true, noNewPrivileges: true, seccomp: true, landlock: expect.any(Number) });
    if (!confinement.available) return;
    expect(confinement.seccompFilters).toBeGreaterThanOrEqual(2);
    expect(Object.keys(confinement.denied).sort()).toEqual(["exec", "inetSocket", "readHostEnvironment", "readOutside", "signalHost", "unixSocket"]);
    for (const [attempt, outcome] of Object.entries(confinement.denied)) expect(outcome, attempt).not.toBe("allowed");
    expect(sandbox.report.warnings.join("\n")).not.toMatch(/Landlock|seccomp|native code in an executor can/);
  });

  it("hold native code on every thread: its code readable, nothing else; no program, no socket", async () => {
    const args = { port, hostPid: process.pid, codeDir: (await executorCode()).dir };
    const { main, worker } = await probe(sandbox, NATIVE, [JSON.stringify(args)], { permissionModel: false });
    for (const [thread, attempts] of Object.entries({ main, worker })) {
      expect(attempts, thread).toMatchObject({ readCode: "allowed" });
      for (const [attempt, outcome] of Object.entries(attempts as Record<string, string>)) {
        if (attempt !== "readCode") expect(outcome, `${thread}: ${attempt}`).not.toBe("allowed");
      }
      expect(attempts, thread).toMatchObject({ readOutside: "EACCES", writeTmp: "EACCES", connect: "EPERM", listen: "EPERM" });
    }
  });

  it("are reported missing, with what the probe printed, when it does not print its result", async () => {
    const printsOther = () => ({ command: process.execPath, args: ["-e", "console.log('not the probe')"], options: {}, inherited: [] });
    expect(await probeConfinement(printsOther, "unused")).toEqual({ available: false, reason: 'the probe printed something else: "not the probe"' });
  });

  it("are on every running executor, as the kernel reports them", async () => {
    const listing = (await (await fetch(`${host.base}/v1/environments`)).json()) as { environments: { executor: { pid: number; kernel?: unknown } }[] };
    const [{ executor }] = listing.environments as [{ executor: { pid: number; kernel?: unknown } }];
    expect(executor.kernel).toEqual({ noNewPrivileges: true, seccompFilters: expect.any(Number) });
    expect((executor.kernel as { seccompFilters: number }).seccompFilters).toBeGreaterThanOrEqual(2);
    const status = await readFile(`/proc/${executor.pid}/status`, "utf8");
    expect(status).toMatch(/^Seccomp:\s+2$/m);
  });
});
