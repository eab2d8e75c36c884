/**
 * GET /v1/status against a real host: failed calls, replaced instances and
 * a killed executor show up as events and counts; a new version shows in
 * the deploy history and as what serves.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { rm } from "node:fs/promises";
import { join } from "node:path";
import type { Store } from "../../builds/store.ts";
import { deploy } from "../../builds/deploy.ts";
import { createHost, type Host } from "../../host/host.ts";
import { createLogger } from "../../host/logger.ts";
import type { StatusReport } from "../../host/status/report.ts";
import { deployModule, eventually, FIXTURES, tempStore } from "../host/helpers.ts";

let store: Store;
let host: Host;
let first: string;

beforeAll(async () => {
  store = await tempStore();
  first = await deployModule(store, "ops", join(FIXTURES, "package.json"), join(FIXTURES, "misbehaving.ts"));
  host = createHost({ store, watch: false, logger: createLogger("silent"), config: { pool: { size: 1, deadlineMs: 300 } } });
  await host.ready;
});

afterAll(async () => {
  await host?.close();
  if (store) await rm(store.root, { recursive: true, force: true });
});

const status = async (): Promise<StatusReport> => (await (await host.app.request("/v1/status")).json()) as StatusReport;
const ops = async () => (await status()).environments.find((e) => e.name === "ops")!;
const invoke = (fn: string, rows: unknown[]) => host.app.request(`/v1/invoke/ops/${fn}`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ rows }) });

describe("GET /v1/status", () => {
  it("counts calls and failures per function and lists the errors and the restarts they caused", async () => {
    expect((await invoke("echo", [{ text: "a", count: 1 }])).status).toBe(200);
    expect((await invoke("spin", [{ text: "forever" }])).status).toBe(504);
    await eventually(async () => (await status()).events.some((e) => e.kind === "instance-restart"));
    const report = await status();
    const activity = (await ops()).activity;
    expect(activity.find((a) => a.function === "echo")!.lastMinute).toMatchObject({ count: 1, failed: 0 });
    expect(activity.find((a) => a.function === "spin")!.lastMinute).toMatchObject({ count: 1, failed: 1 });
    expect(report.events.find((e) => e.kind === "error")).toMatchObject({ env: "ops", function: "spin", status: 504, code: "deadline_exceeded" });
    expect(report.events.find((e) => e.kind === "instance-restart")!.message).toMatch(/timeout/);
  });

  it("shows a killed executor's restart", async () => {
    const { pid } = (await ops()).executor;
    process.kill(pid!, "SIGKILL");
    await eventually(async () => (await ops()).executor.restarts === 1 && (await ops()).executor.status === "running");
    expect((await status()).events.find((e) => e.kind === "executor-restart")).toMatchObject({ env: "ops", message: expect.stringMatching(/the executor (was killed by SIGKILL|exited with code 1): restarting it/) });
    expect((await ops()).executor.pid).not.toBe(pid);
  });

  it("keeps the deploy history, newest first, and what serves", async () => {
    const { manifest } = await deploy({ store, env: "ops", modulePath: join(FIXTURES, "counter-v1.ts") });
    await host.reload("ops");
    const env = await ops();
    expect(env.version).toBe(manifest.version);
    expect(env.deploys.map((d) => [d.version, d.current, d.serving])).toEqual([
      [manifest.version, true, true],
      [first, false, false],
    ]);
    expect(env.deploys[0]!.functions.sort()).toEqual(["slow", "which"]);
  });
});
