/**
 * Supervision as a layer of its own, with no host around it: a real version's
 * executor started, called, refused past its line or its byte budget, killed
 * and started again; the host's collaborators (counters, byte budget) are
 * optional, and what they are told is what happened.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { join } from "node:path";
import { rm } from "node:fs/promises";
import { pino } from "pino";
import { startVersion, type StartedVersion } from "../../supervision/start.ts";
import { DEFAULT_POLICY, type PoolPolicy } from "../../supervision/policy.ts";
import type { SupervisionCounters } from "../../supervision/collaborators.ts";
import { ApiError } from "../../runtime/errors.ts";
import { ByteBudget } from "../../host/admission/byte-budget.ts";
import type { Store } from "../../builds/store.ts";
import { FIXTURES, deployModule, eventually, tempStore } from "../host/helpers.ts";

const ENV = "counter";
const POLICY: PoolPolicy = { ...DEFAULT_POLICY, size: 1, maxQueue: 1 };
const log = pino({ level: "silent" });
const encoder = new TextEncoder();

let store: Store;
let version: string;
const started: StartedVersion[] = [];

beforeAll(async () => {
  store = await tempStore();
  version = await deployModule(store, ENV, join(FIXTURES, "package.json"), join(FIXTURES, "counter-v1.ts"));
}, 120_000);

afterAll(async () => {
  await Promise.all(started.map(({ supervisor }) => supervisor.drain(0)));
  await rm(store.root, { recursive: true, force: true });
});

/** What a supervisor counted, by event: a plain record, nothing stands in for it. */
function recordingCounters(): { counters: SupervisionCounters; seen: string[] } {
  const seen: string[] = [];
  const record =
    (event: string) =>
    (_env: string, detail?: unknown) =>
      void seen.push(detail === undefined || typeof detail === "object" ? event : `${event}:${String(detail)}`);
  const counters = {
    shed: record("shed"),
    protocolViolation: record("protocolViolation"),
    executorRestarted: record("executorRestarted"),
    instanceStarted: record("instanceStarted"),
    instanceRestarted: record("instanceRestarted"),
    requestPathInstantiation: record("requestPathInstantiation"),
    undeclaredOutputKeys: record("undeclaredOutputKeys"),
    guestLogsDropped: record("guestLogsDropped"),
    servedDirectly: record("servedDirectly"),
  } as SupervisionCounters;
  return { counters, seen };
}

async function start(deps: Omit<Parameters<typeof startVersion>[1], "log"> = {}): Promise<StartedVersion> {
  const one = await startVersion({ env: ENV, version, versionDir: store.versionDir(ENV, version), policy: POLICY }, { log, ...deps });
  started.push(one);
  return one;
}

/** One call of `fn` with JSON rows, admitted and released as a caller does. */
async function call({ supervisor }: StartedVersion, rows: unknown[], fn = "which"): Promise<unknown> {
  const body = encoder.encode(JSON.stringify({ rows }));
  const admission = supervisor.admit(body.byteLength);
  try {
    const answer = await supervisor.call(admission, fn, { format: "json", body }, { deadlineMs: 5000, deadlineAt: performance.now() + 5000 });
    return JSON.parse(new TextDecoder().decode(answer.body as Uint8Array));
  } finally {
    admission.ticket.release();
    admission.reservation.release();
  }
}

function refusal(attempt: () => unknown): ApiError {
  try {
    attempt();
  } catch (error) {
    if (error instanceof ApiError) return error;
    throw error;
  }
  throw new Error("expected a refusal");
}

describe("a supervisor without a host", () => {
  it("starts a version's executor and runs calls with no counters and no byte budget", async () => {
    const one = await start();
    expect(one.manifest.version).toBe(version);
    expect(await call(one, [{ n: 1 }, { n: 2 }])).toEqual({ rows: [{ n: 1, version: "v1" }, { n: 2, version: "v1" }], errors: [] });
    const view = await one.supervisor.view();
    expect(view.status).toBe("running");
    expect(view.pid).toBeGreaterThan(0);
  }, 60_000);

  it("refuses past its line with 503 overloaded, and admits again once a place is given back", async () => {
    const { supervisor } = await start();
    // size 1 and maxQueue 1: two calls admitted at most.
    const held = [supervisor.admit(), supervisor.admit()];
    const refused = refusal(() => supervisor.admit());
    expect(refused).toMatchObject({ status: 503, code: "overloaded" });
    for (const { ticket, reservation } of held) {
      ticket.release();
      reservation.release();
    }
    const again = supervisor.admit();
    again.ticket.release();
    again.reservation.release();
  }, 60_000);
});

describe("a supervisor with the host's collaborators", () => {
  it("takes body bytes from the budget it is given and counts what it refuses", async () => {
    const budget = new ByteBudget(1000, 100);
    const { counters, seen } = recordingCounters();
    const { supervisor } = await start({ budget, counters });
    const admitted = supervisor.admit(80);
    expect(budget.held(ENV)).toBe(80);
    expect(refusal(() => supervisor.admit(30))).toMatchObject({ status: 503, code: "overloaded" });
    expect(supervisor.take(admitted, 30)).toMatchObject({ status: 503 });
    admitted.ticket.release();
    admitted.reservation.release();
    expect(budget.held()).toBe(0);
    expect(seen.filter((e) => e.startsWith("shed"))).toEqual(["shed:bytes_environment", "shed:bytes_environment"]);
    expect(seen).toContain("instanceStarted");
  }, 60_000);

  it("restarts an executor that was killed, answering 503 unavailable meanwhile, and counts the restart", async () => {
    const { counters, seen } = recordingCounters();
    const one = await start({ counters });
    const { pid } = await one.supervisor.view();
    process.kill(pid!, "SIGKILL");
    await eventually(() => seen.some((e) => e.startsWith("executorRestarted")));
    expect(refusal(() => one.supervisor.admit())).toMatchObject({ status: 503, code: "unavailable" });
    await eventually(async () => (await one.supervisor.view()).status === "running");
    const view = await one.supervisor.view();
    expect(view.pid).not.toBe(pid);
    expect(view.restarts).toBe(1);
    expect(await call(one, [{ n: 7 }])).toEqual({ rows: [{ n: 7, version: "v1" }], errors: [] });
  }, 60_000);
});
