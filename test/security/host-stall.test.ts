/**
 * A host whose own event loop was blocked (a long synchronous task, a collection, a starved CPU) does not take
 * its executors for stuck ones: a call answered while the loop was blocked is delivered once it turns, not
 * answered 504, and no executor is killed for the host's stall. It was: the stuck timer fired first after the
 * stall, and SIGKILLed a healthy neighbour whose answer sat unread in the pipe.
 */
import { afterAll, beforeAll, expect, it } from "vitest";
import { rm } from "node:fs/promises";
import { join } from "node:path";
import type { Store } from "../../builds/store.ts";
import { STUCK_AFTER_MS } from "../../supervision/executor.ts";
import { deployModule, executorOf, metricValue, tempStore } from "../host/helpers.ts";
import { publishCopy, SECURITY_FIXTURES, watchedHost, type Watched } from "./helpers.ts";

const DEADLINE_MS = 3000;
/** Guest work of a few hundred milliseconds on each engine: done within the deadline, while the host is stalled. */
const ITERATIONS: Record<string, number> = { neighbour: 10_000_000, "component-neighbour": 1_000_000 };
let store: Store;
let host: Watched;

beforeAll(async () => {
  store = await tempStore();
  await deployModule(store, "neighbour", join(SECURITY_FIXTURES, "package.json"), join(SECURITY_FIXTURES, "loud.ts"));
  await publishCopy(store, "neighbour", "component-neighbour");
  host = await watchedHost(store, { pool: { size: 1, deadlineMs: DEADLINE_MS }, environments: { "component-neighbour": { engine: "component" } } });
}, 300_000);

afterAll(async () => {
  await host?.close();
  if (store) await rm(store.root, { recursive: true, force: true });
});

const busy = async (env: string) => metricValue(await host.serving.host.metrics.registry.metrics(), "vial_instances", { env, state: "busy" });

/** Blocks this process's event loop, which is also the host's. */
const stall = (ms: number) => {
  const end = performance.now() + ms;
  while (performance.now() < end);
};

it.each(["neighbour", "component-neighbour"])("delivers %s's answer after a stall past its deadline and its stuck timer, and kills nobody", async (env) => {
  const before = await executorOf(host.base, env);
  let settled = false;
  const call = host.post(`/v1/invoke/${env}/busy`, { rows: [{ text: "in the pipe", iterations: ITERATIONS[env]! }] }, { headers: { "x-vial-deadline-ms": String(DEADLINE_MS) } });
  void call.finally(() => (settled = true));
  // Once the executor runs the call, the host stops turning for longer than the deadline and the stuck timer.
  while (!settled && (await busy(env)) !== 1) await new Promise((r) => setTimeout(r, 5));
  expect(settled).toBe(false);
  const stalledAt = performance.now();
  stall(DEADLINE_MS + STUCK_AFTER_MS + 500);
  const answer = await call;
  if (answer.status !== 200) console.log(JSON.stringify(answer.value));
  expect(answer.status).toBe(200);
  console.log(`[vial-figures] host-stall ${env}: answered ${Math.round(performance.now() - stalledAt)} ms after a stall of ${DEADLINE_MS + STUCK_AFTER_MS + 500} ms began`);
  expect(answer.value.rows).toEqual([{ text: "in the pipe" }]);
  await new Promise((r) => setTimeout(r, 500));
  const after = await executorOf(host.base, env);
  expect(after.pid).toBe(before.pid);
  expect(after.status).toBe("running");
  expect(metricValue(await host.serving.host.metrics.registry.metrics(), "vial_executor_restarts_total", { env })).toBe(0);
});
