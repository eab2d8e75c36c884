/**
 * Attacks on the V8 engine and the executor boundary, through the real host:
 * a guest looking for the host inside its isolate, values whose getters
 * never end, a process-killing allocation, and an executor that stops
 * answering. Each must stay inside the attacked environment: a second
 * environment is called throughout and must never fail, and a canary
 * secret in the host's environment must never show up anywhere.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { randomUUID } from "node:crypto";
import { join } from "node:path";
import { rm } from "node:fs/promises";
import type { Store } from "../../builds/store.ts";
import { STUCK_AFTER_MS } from "../../supervision/executor.ts";
import { deployModule, eventually, executorIdle, executorOf as executorOfHost, metricValue, tempStore } from "../host/helpers.ts";
import { callThroughout, SECURITY_FIXTURES, watchedHost, type Bystander, type Watched } from "./helpers.ts";

const CANARY_NAME = "VIAL_TEST_EXECUTOR_CANARY";
const CANARY = `canary-${randomUUID()}`;
const ENV = "attack";
const OTHER = "bystander";
/** Long enough for V8 to give up on an allocation; calls that are meant to run out of time ask for less. */
const DEADLINE_MS = 30_000;
const SHORT_DEADLINE_MS = 400;
/** What ECMAScript, V8 and vial's guest globals put in a guest's global scope; anything more came from somewhere. */
const EXPECTED_GLOBALS = new Set(
  `AggregateError Array ArrayBuffer Atomics BigInt BigInt64Array BigUint64Array Boolean DataView Date Error EvalError FinalizationRegistry Float32Array Float64Array Function Infinity Int16Array Int32Array Int8Array Intl JSON Map Math NaN Number Object Promise Proxy RangeError ReferenceError Reflect RegExp Set SharedArrayBuffer String Symbol SyntaxError TypeError URIError Uint16Array Uint32Array Uint8Array Uint8ClampedArray WeakMap WeakRef WeakSet decodeURI decodeURIComponent encodeURI encodeURIComponent escape eval globalThis isFinite isNaN parseFloat parseInt undefined unescape
   console process global self TextEncoder TextDecoder structuredClone btoa atob performance crypto setTimeout setInterval setImmediate clearTimeout clearInterval clearImmediate`.split(/\s+/),
);

let store: Store;
let host: Watched;
const figures = { attempts: 0, contained: 0, hostileThrowAnsweredMs: 0, frozenAnsweredMs: 0 };

const metric = async (name: string, labels: Record<string, string>) => metricValue(await host.serving.host.metrics.registry.metrics(), name, labels);
const executorOf = (env: string) => executorOfHost(host.base, env);
const serving = (env: string) => executorIdle(host.base, env, 2);

async function attempt(fn: string, arg = ""): Promise<string> {
  figures.attempts++;
  const answer = await host.invoke(ENV, fn, [{ arg }]);
  expect(answer.status).toBe(200);
  return answer.value.rows[0].result as string;
}

let bystander: Bystander;

const invokeWithin = (deadlineMs: number, fn: string, arg = "") =>
  host.post(`/v1/invoke/${ENV}/${fn}`, { rows: [{ arg }] }, { headers: { "x-vial-deadline-ms": String(deadlineMs) } });

beforeAll(async () => {
  process.env[CANARY_NAME] = CANARY;
  store = await tempStore();
  await deployModule(store, ENV, join(SECURITY_FIXTURES, "package.json"), join(SECURITY_FIXTURES, "isolate-attacks.ts"));
  await deployModule(store, OTHER, join(SECURITY_FIXTURES, "package.json"), join(SECURITY_FIXTURES, "isolate-attacks.ts"));
  // A small heap: V8 gives up on the process sooner.
  host = await watchedHost(store, { pool: { size: 2, deadlineMs: DEADLINE_MS }, environments: { [ENV]: { memoryMiB: 64 } } });
  // A second environment, called the whole time: nothing done to the first may reach it.
  bystander = callThroughout(host, OTHER, "echo", [{ arg: "still here" }]);
}, 300_000);

afterAll(async () => {
  await bystander?.stop();
  console.log(`[vial-figures] executor attacks ${JSON.stringify({ ...figures, bystanderCalls: bystander?.calls, bystanderFailures: bystander?.failures })}`);
  await host?.close();
  delete process.env[CANARY_NAME];
  if (store) await rm(store.root, { recursive: true, force: true });
});

describe("a guest looking for the host inside its isolate", () => {
  it("is served by the V8 engine in a sandboxed executor", async () => {
    const listed = (await (await fetch(`${host.base}/v1/environments`)).json()) as { environments: Array<{ name: string; engine: unknown }>; sandbox: Record<string, unknown> };
    expect(listed.environments.find((e) => e.name === ENV)!.engine).toEqual({ version: "v8", running: "v8" });
    expect(listed.sandbox).toMatchObject({ permissionModel: true, environment: "empty", v8: { available: true } });
  });

  it("finds nothing in its global scope but ECMAScript and the guest globals", async () => {
    const names = JSON.parse((await attempt("census")).replace(/^allowed: /, "")) as string[];
    expect(names.filter((n) => !EXPECTED_GLOBALS.has(n))).toEqual([]);
    expect(names).not.toContain("WebAssembly");
    figures.contained++;
  });

  it("climbs through the Function constructor into its own isolate only", async () => {
    expect(await attempt("climb", "require")).toBe('allowed: {"same":true,"reached":"undefined"}');
    expect(await attempt("climb", "process")).toBe('allowed: {"same":true,"reached":["env","argv","platform","version","versions","browser","cwd","nextTick"]}');
    figures.contained += 2;
  });

  it("sees the SDK's empty process, not the host's", async () => {
    expect(await attempt("process_env")).toBe('allowed: {"env":{},"binding":"undefined","versions":{}}');
    figures.contained++;
  });

  it("cannot import anything at run time", async () => {
    expect(["pending", "denied: TypeError", "denied: Error"]).toContain(await attempt("dynamic_import", "node:fs"));
    figures.contained++;
  });
});

describe("values whose getters never end", () => {
  it("a thrown object is answered at the deadline; the environment goes on", async () => {
    figures.attempts++;
    const started = performance.now();
    const answer = await invokeWithin(SHORT_DEADLINE_MS, "throw_hostile");
    figures.hostileThrowAnsweredMs = Math.round(performance.now() - started);
    expect(answer.status).toBe(504);
    expect(answer.value.error.code).toBe("deadline_exceeded");
    await eventually(() => serving(ENV));
    expect((await host.invoke(ENV, "echo", [{ arg: "after" }])).value.rows).toEqual([{ result: "after" }]);
    figures.contained++;
  });

  it("a result that is not text is refused as a broken guest, without reading it", async () => {
    figures.attempts++;
    const answer = await host.invoke(ENV, "return_hostile", [{ arg: "" }]);
    expect(answer.status).toBe(500);
    expect(answer.value.error.code).toBe("guest_trap");
    expect(answer.value.error.message).toContain("the guest returned a value that is not a string");
    await eventually(() => serving(ENV));
    figures.contained++;
  });
});

describe("an executor that dies or stops answering", () => {
  it("an allocation that makes V8 give up the process costs that call; the environment is restarted", async () => {
    figures.attempts++;
    const before = await metric("vial_executor_restarts_total", { env: ENV });
    const answer = await host.invoke(ENV, "crash_process", [{ arg: "" }]);
    expect(answer.status).toBe(500);
    expect(answer.value.error.code).toBe("guest_trap");
    expect(answer.value.error.message).toMatch(/the environment's executor (was killed by SIG\w+|exited with code \d+) during the call/);
    await eventually(async () => (await metric("vial_executor_restarts_total", { env: ENV })) === before + 1);
    await eventually(() => serving(ENV));
    expect((await host.invoke(ENV, "echo", [{ arg: "back" }])).value.rows).toEqual([{ result: "back" }]);
    figures.contained++;
  });

  it("an executor frozen mid-call is answered 504 on time, then killed and replaced", async () => {
    figures.attempts++;
    const before = await metric("vial_executor_restarts_total", { env: ENV });
    const { pid } = await executorOf(ENV);
    // SIGSTOP stands for an isolate that does not yield and an event loop that never turns again.
    process.kill(pid, "SIGSTOP");
    const started = performance.now();
    const answer = await invokeWithin(SHORT_DEADLINE_MS, "echo", "into the void");
    figures.frozenAnsweredMs = Math.round(performance.now() - started);
    expect(answer.status).toBe(504);
    await eventually(async () => (await metric("vial_executor_restarts_total", { env: ENV })) === before + 1);
    expect(performance.now() - started).toBeGreaterThanOrEqual(STUCK_AFTER_MS);
    await eventually(() => serving(ENV));
    expect((await executorOf(ENV)).pid).not.toBe(pid);
    expect((await host.invoke(ENV, "echo", [{ arg: "thawed" }])).value.rows).toEqual([{ result: "thawed" }]);
    figures.contained++;
  });
});

describe("after every attack", () => {
  it("the other environment never failed, and the canary appeared nowhere", async () => {
    await bystander.stop();
    expect(bystander.calls).toBeGreaterThan(20);
    expect(bystander.failures).toBe(0);
    expect(host.transcript()).not.toContain(CANARY);
  });
});
