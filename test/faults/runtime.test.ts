/**
 * Faults while serving: an instance's thread dies in the middle of a call or
 * while idle, and `vial serve` gets SIGTERM under load (the single-call case
 * is in test/host/hot-deploy.test.ts; here many calls run and queue).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { Worker } from "node:worker_threads";
import type { Store } from "../../builds/store.ts";
import { WorkerThread } from "../../host/pool/worker-thread.ts";
import { deployModule, eventually, metricValue, REPO, tempStore } from "../host/helpers.ts";
import { SECURITY_FIXTURES, watchedHost, type Watched } from "../security/helpers.ts";

const ENV = "work";
let store: Store;
let host: Watched;
const figures = { injected: 0, survived: 0, inFlightAtSigterm: 0, lostAtSigterm: 0 };

const metric = async (name: string, labels: Record<string, string>) => metricValue(await host.serving.host.metrics.registry.metrics(), name, labels);
const idle = async () => (await metric("vial_instances", { env: ENV, state: "idle" })) === 2;
const workerOf = (thread: unknown) => (thread as { worker: Worker }).worker;

beforeAll(async () => {
  store = await tempStore();
  await deployModule(store, ENV, join(SECURITY_FIXTURES, "package.json"), join(SECURITY_FIXTURES, "abuse.ts"));
});

afterAll(async () => {
  console.log(`[vial-figures] runtime-faults ${JSON.stringify(figures)}`);
  if (store) await rm(store.root, { recursive: true, force: true });
});

describe("an instance's thread dies", () => {
  /** Every instance thread the pools start, recorded as they start (their fields are private on purpose). */
  const threads: WorkerThread[] = [];
  const originalStart = WorkerThread.start;
  const live = () => threads.filter((t) => !(t as unknown as { exited: boolean }).exited);
  const running = () => live().filter((t) => (t as unknown as { pending?: unknown }).pending !== undefined);

  beforeAll(async () => {
    WorkerThread.start = async (...args: Parameters<typeof WorkerThread.start>) => {
      const thread = await originalStart.apply(WorkerThread, args);
      threads.push(thread);
      return thread;
    };
    host = await watchedHost(store, { pool: { size: 2, deadlineMs: 60_000 } });
  });

  afterAll(async () => {
    WorkerThread.start = originalStart;
    await host?.close();
  });

  it("fails the call it was running with a clean 500 and heals the pool", async () => {
    figures.injected++;
    const before = await metric("vial_instance_restarts_total", { env: ENV, cause: "crash" });
    const spinning = host.invoke(ENV, "spin", [{ text: "x" }]);
    await eventually(() => running().length === 1);
    await workerOf(running()[0]).terminate();
    const answer = await spinning;
    expect(answer.status).toBe(500);
    expect(answer.value.error).toEqual({ code: "guest_trap", message: `${ENV}/spin trapped: the instance's thread exited during the call (the instance was replaced)` });
    await eventually(idle);
    expect(await metric("vial_instance_restarts_total", { env: ENV, cause: "crash" })).toBe(before + 1);
    expect((await host.invoke(ENV, "echo", [{ text: "a", count: 1 }])).status).toBe(200);
    figures.survived++;
  });

  it("replaces an idle thread that died, without failing any call", async () => {
    figures.injected++;
    const before = await metric("vial_instance_restarts_total", { env: ENV, cause: "crash" });
    expect(running()).toEqual([]);
    await workerOf(live()[0]).terminate();
    await eventually(async () => (await metric("vial_instance_restarts_total", { env: ENV, cause: "crash" })) === before + 1);
    await eventually(idle);
    const answers = await Promise.all(Array.from({ length: 8 }, (_, i) => host.invoke(ENV, "echo", [{ text: "b", count: i }])));
    expect(answers.map((a) => a.status)).toEqual(answers.map(() => 200));
    figures.survived++;
  });
});

describe("vial serve under load", () => {
  it("on SIGTERM finishes every running and queued call, refuses new ones cleanly, and exits 0", async () => {
    const config = join(store.root, "vial.config.json");
    await writeFile(config, JSON.stringify({ port: 0, pool: { size: 2, maxQueue: 64, deadlineMs: 120_000 } }));
    const child = spawn(process.execPath, [join(REPO, "bin/vial.js"), "serve", "--store", store.root, "--config", config], { cwd: REPO, stdio: ["ignore", "pipe", "inherit"] });
    const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
    const logs: Array<Record<string, unknown>> = [];
    createInterface({ input: child.stdout! }).on("line", (line) => logs.push(JSON.parse(line) as Record<string, unknown>));
    try {
      await eventually(() => logs.some((l) => l.msg === "host ready"));
      const base = logs.find((l) => typeof l.address === "string")!.address as string;
      const call = (n: number) =>
        fetch(`${base}/v1/invoke/${ENV}/slow`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ rows: [{ n }] }) });
      const scrape = async (name: string, labels: Record<string, string> = {}) => metricValue(await (await fetch(`${base}/metrics`)).text(), name, { env: ENV, ...labels });

      // Two running and six queued behind them, all accepted before the signal.
      const inFlight = Array.from({ length: 8 }, () => call(6_000_000));
      await eventually(async () => (await scrape("vial_instances", { state: "busy" })) === 2 && (await scrape("vial_queue_depth")) === 6);
      figures.inFlightAtSigterm = inFlight.length;
      // Callers that keep coming while it shuts down.
      let stopping = false;
      const late: Array<Promise<string>> = [];
      const lateCaller = async () => {
        while (!stopping) {
          const outcome = await call(1000).then(
            async (r) => `${r.status}:${r.status === 200 ? "" : ((await r.json()) as { error: { code: string } }).error.code}`,
            () => "refused",
          );
          late.push(Promise.resolve(outcome));
          if (outcome === "refused") return;
        }
      };
      child.kill("SIGTERM");
      const callers = Array.from({ length: 3 }, lateCaller);

      const answers = await Promise.all(inFlight);
      const statuses = answers.map((r) => r.status);
      figures.lostAtSigterm = statuses.filter((s) => s !== 200).length;
      expect(statuses).toEqual(answers.map(() => 200));
      for (const r of answers) expect(((await r.json()) as { rows: Array<{ sum: number }> }).rows[0]!.sum).toBeGreaterThanOrEqual(0);
      expect(await exited).toBe(0);
      stopping = true;
      await Promise.all(callers);
      // A late caller was either served before the listener closed, told 503 shutting_down, or refused a connection: nothing else.
      for (const outcome of await Promise.all(late)) expect(["200:", "503:shutting_down", "refused"]).toContain(outcome);
      await expect(fetch(`${base}/healthz`)).rejects.toThrow();
    } finally {
      child.kill("SIGKILL");
    }
  });
});
