/**
 * Faults while serving: an environment's executor is killed in the middle of a
 * call or while idle (only that environment notices, and it heals), and
 * `vial serve` gets SIGTERM under load (the single-call case is in
 * test/host/hot-deploy.test.ts; here many calls run and queue).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { Store } from "../../builds/store.ts";
import { deployModule, eventually, executorIdle, executorOf as executorOfHost, metricValue, REPO, tempStore } from "../host/helpers.ts";
import { SECURITY_FIXTURES, watchedHost, type Watched } from "../security/helpers.ts";

const ENV = "work";
const OTHER = "bystander";
let store: Store;
let host: Watched;
const figures = { injected: 0, survived: 0, bystanderFailures: 0, inFlightAtSigterm: 0, lostAtSigterm: 0 };

const metric = async (name: string, labels: Record<string, string>) => metricValue(await host.serving.host.metrics.registry.metrics(), name, labels);
const executorOf = (env: string) => executorOfHost(host.base, env);
const running = (env: string) => executorIdle(host.base, env, 2);

beforeAll(async () => {
  store = await tempStore();
  await deployModule(store, ENV, join(SECURITY_FIXTURES, "package.json"), join(SECURITY_FIXTURES, "abuse.ts"));
  await deployModule(store, OTHER, join(SECURITY_FIXTURES, "package.json"), join(SECURITY_FIXTURES, "abuse.ts"));
});

afterAll(async () => {
  console.log(`[vial-figures] runtime-faults ${JSON.stringify(figures)}`);
  if (store) await rm(store.root, { recursive: true, force: true });
});

describe("an environment's executor dies", () => {
  beforeAll(async () => {
    host = await watchedHost(store, { pool: { size: 2, deadlineMs: 60_000 } });
  });

  afterAll(async () => {
    await host?.close();
  });

  /** Calls to the other environment, all the while: none of them may fail. */
  async function bystander<T>(during: () => Promise<T>): Promise<T> {
    let stop = false;
    const calls = (async () => {
      while (!stop) {
        const answer = await host.invoke(OTHER, "echo", [{ text: "still here", count: 1 }]);
        if (answer.status !== 200) figures.bystanderFailures++;
      }
    })();
    try {
      return await during();
    } finally {
      stop = true;
      await calls;
    }
  }

  it("fails the call it was running with a clean 500, answers 503 until it is back, and no other environment notices", async () => {
    figures.injected++;
    const before = await metric("vial_executor_restarts_total", { env: ENV });
    await bystander(async () => {
      const spinning = host.invoke(ENV, "spin", [{ text: "x" }]);
      await eventually(async () => (await metric("vial_instances", { env: ENV, state: "busy" })) === 1);
      process.kill((await executorOf(ENV)).pid, "SIGKILL");
      const answer = await spinning;
      expect(answer.status).toBe(500);
      expect(answer.value.error.code).toBe("guest_trap");
      // Under namespaces the launcher in between reports its child's death as its own exit code.
      expect(answer.value.error.message).toMatch(/the environment's executor (was killed by SIGKILL|exited with code 1) during the call \(it is being restarted\)/);
      const meanwhile = await host.invoke(ENV, "echo", [{ text: "a", count: 1 }]);
      if (meanwhile.status !== 200) {
        expect(meanwhile.status).toBe(503);
        expect(meanwhile.value.error.code).toBe("unavailable");
        expect(Number(meanwhile.headers["retry-after"])).toBeGreaterThanOrEqual(1);
      }
      await eventually(() => running(ENV));
    });
    expect(figures.bystanderFailures).toBe(0);
    expect(await metric("vial_executor_restarts_total", { env: ENV })).toBe(before + 1);
    expect((await host.invoke(ENV, "echo", [{ text: "a", count: 1 }])).status).toBe(200);
    expect(host.logs.some((l) => l.includes("executor ended: restarting it"))).toBe(true);
    figures.survived++;
  });

  it("restarts an idle executor that died, without failing any call after it is back", async () => {
    figures.injected++;
    const before = await metric("vial_executor_restarts_total", { env: ENV });
    const { pid } = await executorOf(ENV);
    await bystander(async () => {
      process.kill(pid, "SIGKILL");
      await eventually(async () => (await metric("vial_executor_restarts_total", { env: ENV })) === before + 1);
      await eventually(() => running(ENV));
    });
    expect(figures.bystanderFailures).toBe(0);
    expect((await executorOf(ENV)).pid).not.toBe(pid);
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
      const inFlight = Array.from({ length: 8 }, () => call(200_000_000));
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
