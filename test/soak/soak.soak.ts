/**
 * Moderate, mixed load on one host over loopback for SOAK_SECONDS (default
 * 60): ordinary calls in JSON and CBOR, per-row errors, bad requests and the
 * occasional runaway call. Every answer is checked; at the end resident
 * memory and open file descriptors must be back within a bound of the start.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { rm } from "node:fs/promises";
import { join } from "node:path";
import type { Store } from "../../builds/store.ts";
import { deployModule, eventually, metricValue, tempStore } from "../host/helpers.ts";
import { processFootprint, SECURITY_FIXTURES, watchedHost, type Watched } from "../security/helpers.ts";

const SECONDS = Number(process.env.SOAK_SECONDS ?? 60);
const CONCURRENCY = 8;
/** Bounds over the run, measured after a warm-up: the whole test process (host and load generator). */
const RSS_BOUND_BYTES = 200 * 2 ** 20;
const FD_BOUND = 16;

let store: Store;
let host: Watched;

beforeAll(async () => {
  store = await tempStore();
  await deployModule(store, "soak", join(SECURITY_FIXTURES, "package.json"), join(SECURITY_FIXTURES, "abuse.ts"));
  host = await watchedHost(store, { pool: { size: 2, maxQueue: 256, deadlineMs: 5_000 } });
});

afterAll(async () => {
  await host?.close();
  if (store) await rm(store.root, { recursive: true, force: true });
});

/** One request of a rotating mix; returns null when the answer is right, else what was wrong. */
async function oneCall(i: number): Promise<string | null> {
  const kind = i % 50 === 49 ? "runaway" : i % 10 === 9 ? "bad" : i % 7 === 6 ? "row-error" : i % 2 ? "cbor" : "json";
  const forget = () => {
    // The transcript is for leak searches in other tests; here it would only grow.
    host.answers.length = 0;
    host.logs.length = 0;
  };
  try {
    if (kind === "runaway") {
      const a = await host.post("/v1/invoke/soak/spin", { rows: [{ text: "x" }] }, { headers: { "x-vial-deadline-ms": "50" } });
      return a.status === 504 && a.value?.error?.code === "deadline_exceeded" ? null : `runaway: ${a.status}`;
    }
    if (kind === "bad") {
      const a = await host.post("/v1/invoke/soak/echo", { rows: [{ text: 1, count: "x" }] });
      return a.status === 400 && a.value?.error?.code === "invalid_row" ? null : `bad: ${a.status}`;
    }
    if (kind === "row-error") {
      const a = await host.invoke("soak", "miscount", [{ returned: 2 }]);
      return a.status === 422 ? null : `row-error: ${a.status}`;
    }
    const rows = Array.from({ length: 1 + (i % 16) }, (_, r) => ({ text: `r${i}-${r}`, count: i + r, data: r % 3 ? null : "AAEC" }));
    const a = await host.invoke("soak", "echo", rows, kind as "json" | "cbor");
    if (a.status !== 200) return `${kind}: ${a.status}`;
    const wrong = rows.findIndex((row, r) => a.value.rows[r]?.text !== row.text || a.value.rows[r]?.count !== row.count + 1);
    return wrong === -1 && a.value.rows.length === rows.length ? null : `${kind}: wrong row ${wrong}`;
  } catch (error) {
    return `${kind}: lost (${(error as Error).message})`;
  } finally {
    forget();
  }
}

describe("soak", () => {
  it(`serves mixed load for ${SECONDS}s with no lost or wrong answer and no growth past the bounds`, async () => {
    let n = 0;
    const problems: string[] = [];
    const run = async (until: number) => {
      await Promise.all(
        Array.from({ length: CONCURRENCY }, async () => {
          while (performance.now() < until) {
            const problem = await oneCall(n++);
            if (problem) problems.push(problem);
          }
        }),
      );
    };
    // Warm-up (a tenth of the run): pools, JIT, connection pools and allocator settle before the baseline.
    await run(performance.now() + Math.max(2, SECONDS / 10) * 1000);
    await eventually(async () => metricValue(await host.serving.host.metrics.registry.metrics(), "vial_instances", { env: "soak", state: "idle" }) === 2);
    const start = await processFootprint();
    const warmup = n;
    await run(performance.now() + SECONDS * 1000);
    await eventually(async () => metricValue(await host.serving.host.metrics.registry.metrics(), "vial_instances", { env: "soak", state: "idle" }) === 2);
    const end = await processFootprint();
    const figures = {
      seconds: SECONDS,
      requests: n - warmup,
      lostOrWrong: problems.length,
      rssStartMiB: Math.round(start.rssBytes / 2 ** 20),
      rssEndMiB: Math.round(end.rssBytes / 2 ** 20),
      fdsStart: start.fds,
      fdsEnd: end.fds,
    };
    console.log(`[vial-figures] soak ${JSON.stringify(figures)}`);
    expect(problems.slice(0, 10)).toEqual([]);
    expect(end.rssBytes - start.rssBytes).toBeLessThan(RSS_BOUND_BYTES);
    expect(end.fds - start.fds).toBeLessThanOrEqual(FD_BOUND);
  });
});
