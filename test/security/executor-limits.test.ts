/**
 * Limits on an executor process as a whole, through the real host: its
 * rlimits as /proc shows them, and its memory cap. A guest that keeps Intl
 * objects grows its executor far past its isolate's heap limit (their ICU
 * state is not counted there); the host's watchdog kills the executor once
 * it is over its cap, it is restarted, and a bystander environment called
 * throughout never notices.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { rm } from "node:fs/promises";
import { join } from "node:path";
import type { Store } from "../../builds/store.ts";
import { measureIsolateData } from "../../supervision/limits.ts";
import { residentBytes } from "../../supervision/memory-watch.ts";
import { deployModule, eventually, executorIdle, metricValue, tempStore } from "../host/helpers.ts";
import { callThroughout, SECURITY_FIXTURES, watchedHost, type Answer, type Bystander, type Watched } from "./helpers.ts";

const HOARDER = "hoarder";
const OTHER = "bystander";
const HEAP_MIB = 64;
const CAP_MIB = 384;
/** Intl objects kept per call: about 50 MiB of the process's heap, none of the isolate's. */
const PER_CALL = 2000;

let store: Store;
let host: Watched;
const figures = { hoardCalls: 0, residentAtLastAnswerMiB: 0 };
let bystander: Bystander;

interface ExecutorListing {
  pid: number;
  status: string;
  limits: { memoryMiB: number; dataMiB: number; descriptors: number; processes?: number };
}
async function listing(env: string): Promise<{ executor: ExecutorListing; sandbox: { limits: { processes: boolean } } }> {
  const body = (await (await fetch(`${host.base}/v1/environments`)).json()) as { environments: Array<{ name: string; executor: ExecutorListing }>; sandbox: { limits: { processes: boolean } } };
  return { executor: body.environments.find((e) => e.name === env)!.executor, sandbox: body.sandbox };
}
const metric = async (name: string, labels: Record<string, string>) => metricValue(await host.serving.host.metrics.registry.metrics(), name, labels);

beforeAll(async () => {
  store = await tempStore();
  for (const env of [HOARDER, OTHER]) await deployModule(store, env, join(SECURITY_FIXTURES, "package.json"), join(SECURITY_FIXTURES, "process-memory.ts"));
  host = await watchedHost(store, { pool: { size: 1, deadlineMs: 60_000 }, environments: { [HOARDER]: { memoryMiB: HEAP_MIB, executorMemoryMiB: CAP_MIB } } });
  bystander = callThroughout(host, OTHER, "echo", [{ arg: "still here" }]);
}, 300_000);

afterAll(async () => {
  await bystander?.stop();
  console.log(`[vial-figures] executor limits ${JSON.stringify({ ...figures, bystanderCalls: bystander?.calls, bystanderFailures: bystander?.failures })}`);
  await host?.close();
  if (store) await rm(store.root, { recursive: true, force: true });
});

describe("an executor's limits", () => {
  it("are its process's rlimits, listed per environment: the cap set for one, the default (size x memoryMiB + overhead) for another", async () => {
    const { executor, sandbox } = await listing(HOARDER);
    // Twice the cap, and room for the isolates' reservations where they count (Node's own, one instance, a replacement).
    const dataBytes = 2 * CAP_MIB * 2 ** 20 + 3 * (await measureIsolateData());
    expect(executor.limits).toMatchObject({ memoryMiB: CAP_MIB, dataMiB: dataBytes / 2 ** 20 });
    // One instance of 256 MiB, 64 MiB beside it, 256 MiB for the executor itself.
    expect((await listing(OTHER)).executor.limits.memoryMiB).toBe(256 + 64 + 256);
    const limits = readFileSync(`/proc/${executor.pid}/limits`, "utf8");
    const limit = (name: string) => new RegExp(`^${name}\\s+(\\S+)\\s+(\\S+)`, "m").exec(limits)!.slice(1);
    expect(limit("Max data size")).toEqual([String(dataBytes), String(dataBytes)]);
    expect(limit("Max open files")).toEqual([String(executor.limits.descriptors), String(executor.limits.descriptors)]);
    if (sandbox.limits.processes) expect(limit("Max processes")).toEqual([String(executor.limits.processes), String(executor.limits.processes)]);
    else expect(executor.limits.processes).toBeUndefined();
  });

  it("an executor past its memory cap is killed and restarted; the bystander never notices", async () => {
    const before = await metric("vial_executor_restarts_total", { env: HOARDER });
    const { pid } = (await listing(HOARDER)).executor;
    let refused: Answer;
    for (;;) {
      figures.hoardCalls++;
      const answer = await host.invoke(HOARDER, "hoard", [{ count: PER_CALL }]);
      if (answer.status !== 200) {
        refused = answer;
        break;
      }
      figures.residentAtLastAnswerMiB = Math.round((residentBytes(pid) ?? 0) / 2 ** 20);
    }
    // Answered while the process held far more than its isolate's heap limit: that limit does not see these objects.
    expect(figures.residentAtLastAnswerMiB).toBeGreaterThan(2 * HEAP_MIB);
    // The call running when it was killed fails; one arriving while it restarts is told to come back.
    if (refused.status === 500) expect(refused.value.error.message).toMatch(/the environment's executor went over its memory cap \(\d+ MiB resident, cap 384 MiB\) and was killed during the call/);
    else expect([refused.status, refused.value.error.code]).toEqual([503, "unavailable"]);
    await eventually(async () => (await metric("vial_executor_restarts_total", { env: HOARDER })) === before + 1);
    expect(host.logs.some((line) => line.includes("executor ended: restarting it") && /went over its memory cap \(\d+ MiB resident, cap 384 MiB\) and was killed/.test(line))).toBe(true);
    await eventually(() => executorIdle(host.base, HOARDER, 1));
    expect((await listing(HOARDER)).executor.pid).not.toBe(pid);
    expect((await host.invoke(HOARDER, "echo", [{ arg: "back" }])).value.rows).toEqual([{ result: "back" }]);
    await bystander.stop();
    expect(bystander.calls).toBeGreaterThan(10);
    expect(bystander.failures).toBe(0);
  }, 300_000);
});
