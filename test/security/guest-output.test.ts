/**
 * What a guest says besides its result (batch and row error messages, log lines) reaches the host bounded by the
 * executor's trusted code, whatever the guest sends, on both JS engines: tens of MB of error message, or a
 * forged envelope with a hundred thousand log lines, cost the host no more than the bounds.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { rm } from "node:fs/promises";
import { join } from "node:path";
import type { Store } from "../../builds/store.ts";
import { MAX_ERROR_CHARS, MAX_LOG_LINE_CHARS, MAX_LOG_LINES, MAX_ROW_ERROR_CHARS } from "../../runtime/guest-output.ts";
import { deployModule, metricValue, tempStore } from "../host/helpers.ts";
import { publishCopy, SECURITY_FIXTURES, watchedHost, type Watched } from "./helpers.ts";

/** Room for the note a cut string ends with. */
const NOTE = 64;
let store: Store;
let host: Watched;

beforeAll(async () => {
  store = await tempStore();
  await deployModule(store, "loud", join(SECURITY_FIXTURES, "package.json"), join(SECURITY_FIXTURES, "loud.ts"));
  await publishCopy(store, "loud", "loud-qjs");
  await publishCopy(store, "loud", "bystander");
  host = await watchedHost(store, {
    pool: { size: 1, deadlineMs: 30_000, memoryMiB: 128 },
    environments: { "loud-qjs": { engine: "component" } },
  });
}, 300_000);

afterAll(async () => {
  await host?.close();
  if (store) await rm(store.root, { recursive: true, force: true });
});

const guestLogLines = () => host.logs.filter((l) => l.includes('"msg":"guest log"'));

describe.each(["loud", "loud-qjs"])("environment %s", (env) => {
  it("cuts a batch error of 20 million characters, again and again, and keeps only the cut message", async () => {
    for (let i = 0; i < 12; i++) {
      const answer = await host.invoke(env, "huge_error", [{ chars: 20_000_000 }]);
      expect(answer.status).toBe(422);
      expect(answer.value.error.code).toBe("guest_error");
      expect(answer.value.error.message.length).toBeLessThan(MAX_ERROR_CHARS + 2 * NOTE);
    }
    const events = host.serving.host.metrics.events.list().filter((e) => e.env === env);
    expect(events.length).toBeGreaterThan(0);
    for (const e of events) expect(e.message.length).toBeLessThanOrEqual(1024 + NOTE);
    expect((await host.invoke("bystander", "echo", [{ text: "fine" }])).value.rows).toEqual([{ text: "fine" }]);
  });

  it("cuts each row's error", async () => {
    const answer = await host.invoke(env, "huge_row_error", Array.from({ length: 3 }, () => ({ chars: 2_000_000 })));
    expect(answer.status).toBe(200);
    expect(answer.value.errors).toHaveLength(3);
    for (const { error } of answer.value.errors) {
      expect(error.startsWith("Error: RRRR")).toBe(true);
      expect(error.length).toBeLessThanOrEqual(MAX_ROW_ERROR_CHARS + NOTE);
    }
  });
});

it("keeps 100 of a forged envelope's 100,000 log lines, each cut, and says how many it dropped", async () => {
  const before = guestLogLines().length;
  const answer = await host.invoke("loud", "forged_logs", [{ lines: 100_000, chars: 100 }]);
  expect(answer.status).toBe(200);
  const written = guestLogLines().slice(before);
  expect(written).toHaveLength(MAX_LOG_LINES + 1);
  expect(written.at(-1)).toContain(`${100_000 - MAX_LOG_LINES} more log lines dropped`);
  const long = await host.invoke("loud", "forged_logs", [{ lines: 3, chars: 5_000_000 }]);
  expect(long.status).toBe(200);
  for (const line of guestLogLines().slice(-3)) expect(JSON.parse(line).guest.length).toBeLessThanOrEqual(MAX_LOG_LINE_CHARS + NOTE);
});

it("writes at most the environment's rate of guest log lines, and counts the rest", async () => {
  const before = guestLogLines().length;
  const calls = 30;
  for (let i = 0; i < calls; i++) expect((await host.invoke("loud", "forged_logs", [{ lines: 100, chars: 10 }])).status).toBe(200);
  const written = guestLogLines().length - before;
  const dropped = metricValue(await host.serving.host.metrics.registry.metrics(), "vial_guest_log_lines_dropped_total", { env: "loud" });
  expect(written + dropped).toBe(calls * 100);
  expect(dropped).toBeGreaterThan(0);
});

it("did all of it within the protocol: no executor was ended", async () => {
  const metrics = await host.serving.host.metrics.registry.metrics();
  for (const env of ["loud", "loud-qjs", "bystander"]) {
    expect(metricValue(metrics, "vial_executor_protocol_violations_total", { env })).toBe(0);
    expect(metricValue(metrics, "vial_executor_restarts_total", { env })).toBe(0);
  }
});
