/**
 * Versions changing under a running host: deploys and rollbacks picked up
 * from the store under continuous load, and a SIGTERM that lets running
 * calls finish.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { Store } from "../../builds/store.ts";
import { deploy } from "../../builds/deploy.ts";
import { serve, type Serving } from "../../host/serve.ts";
import { createLogger } from "../../host/logger.ts";
import { deployModule, eventually, FIXTURES, metricValue, REPO, tempStore } from "./helpers.ts";

let store: Store;
let v1: string;

beforeAll(async () => {
  store = await tempStore();
  v1 = await deployModule(store, "hot", join(FIXTURES, "package.json"), join(FIXTURES, "counter-v1.ts"));
});

afterAll(async () => {
  if (store) await rm(store.root, { recursive: true, force: true });
});

/** Keeps `concurrency` callers busy until stopped; records every status and answering version. */
function continuousLoad(base: string, concurrency: number) {
  const statuses: number[] = [];
  const versions: string[] = [];
  let running = true;
  let n = 0;
  const caller = async () => {
    while (running) {
      const response = await fetch(`${base}/v1/invoke/hot/which`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ rows: [{ n: n++ }] }),
      });
      statuses.push(response.status);
      if (response.ok) versions.push(((await response.json()) as { rows: Array<{ version: string }> }).rows[0]!.version);
      else await response.body?.cancel();
    }
  };
  const callers = Array.from({ length: concurrency }, caller);
  return {
    statuses,
    versions,
    /** Resolves once `count` more answers came from `version`. */
    until: (version: string, count: number) => {
      const start = versions.length;
      return eventually(() => versions.slice(start).filter((v) => v === version).length >= count);
    },
    stop: async () => {
      running = false;
      await Promise.all(callers);
    },
  };
}

describe("hot deploy", () => {
  let server: Serving;

  afterAll(async () => {
    await server?.shutdown();
  });

  it("switches to a new version and back (rollback) under continuous load without a failed request", async () => {
    // A deadline no busy machine reaches: a failed request here would be the swap's doing.
    server = await serve({ store, logger: createLogger("warn"), config: { port: 0, watchPollMs: 200, pool: { size: 2, deadlineMs: 60_000 } } });
    await server.host.ready;
    const load = continuousLoad(server.address, 4);
    await load.until("v1", 20);

    const { manifest } = await deploy({ store, env: "hot", modulePath: join(FIXTURES, "counter-v2.ts") });
    await load.until("v2", 50);
    await store.rollback("hot");
    await load.until("v1", 50);
    await load.stop();

    expect(load.statuses.length).toBeGreaterThan(100);
    expect(load.statuses.filter((s) => s !== 200)).toEqual([]);
    const text = await server.host.metrics.registry.metrics();
    expect(metricValue(text, "vial_deploys_total", { env: "hot", result: "loaded" })).toBe(3);
    expect(metricValue(text, "vial_request_path_instantiations_total")).toBe(0);
    expect(manifest.version).not.toBe(v1);
    // The replaced pools were drained and stopped: only the serving pool's instances remain.
    await eventually(async () => metricValue(await server.host.metrics.registry.metrics(), "vial_instances", { env: "hot", state: "idle" }) === 2);
  });
});

describe("vial serve", () => {
  it("on SIGTERM stops accepting connections, finishes the running call, and exits 0", async () => {
    const config = join(store.root, "vial.config.json");
    await writeFile(config, JSON.stringify({ port: 0, pool: { size: 1, deadlineMs: 120_000 } }));
    const child = spawn(process.execPath, [join(REPO, "bin/vial.js"), "serve", "--store", store.root, "--config", config], {
      cwd: REPO,
      stdio: ["ignore", "pipe", "inherit"],
    });
    const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
    const logs: Array<Record<string, unknown>> = [];
    createInterface({ input: child.stdout! }).on("line", (line) => logs.push(JSON.parse(line) as Record<string, unknown>));
    try {
      await eventually(() => logs.some((l) => l.msg === "host ready"));
      const base = logs.find((l) => typeof l.address === "string")!.address as string;
      const running = fetch(`${base}/v1/invoke/hot/slow`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ rows: [{ n: 500_000_000 }] }),
      });
      await eventually(async () => metricValue(await (await fetch(`${base}/metrics`)).text(), "vial_instances", { state: "busy" }) === 1);

      child.kill("SIGTERM");
      await eventually(() => logs.some((l) => l.msg === "shutting down: no new connections, finishing running calls"));
      await expect(fetch(`${base}/healthz`)).rejects.toThrow();
      const response = await running;
      expect(response.status).toBe(200);
      expect(((await response.json()) as { rows: Array<{ sum: number }> }).rows[0]!.sum).toBeGreaterThan(0);
      expect(await exited).toBe(0);
    } finally {
      child.kill("SIGKILL");
    }
  });
});
