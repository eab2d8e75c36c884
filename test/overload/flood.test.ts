/**
 * A flood of large batches to one environment (100,000 rows each, many at
 * once) at `vial serve` in a process of its own, while a second environment,
 * the health endpoint and small tight-deadline calls to the flooded
 * environment are probed. What must hold: every request gets exactly one
 * answer (200, 503 or 504, nothing else), the other environment and /healthz
 * never fail, the flood is shed before its bodies are read, and the memory of
 * the host and its executors stays within what the byte budget and the pool
 * allow (docs/performance.md, "G. Overload") and the host gives its bytes
 * back. Latency figures are printed (`[vial-figures]`); the bench's overload
 * scenario measures them properly.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { join } from "node:path";
import { rm } from "node:fs/promises";
import { Pool } from "undici";
import type { Store } from "../../builds/store.ts";
import { spawn, type ChildProcess } from "node:child_process";
import { createInterface } from "node:readline";
import { writeFile } from "node:fs/promises";
import { deployModule, eventually, metricValue, REPO, tempStore } from "../host/helpers.ts";
import { sampleTreeMemory, treeMemory, type TreeMemory } from "../../testing/process-tree.ts";
import { MALLOC_ENV } from "../../runtime/malloc-env.ts";

const IDENTITY = join(REPO, "bench", "fixtures", "identity");
const FLOODED = "flooded";
const CALM = "calm";
/** Far more than the byte budget lets in at once (120 x 4.3 MB against 96 MB). */
const FLOOD_REQUESTS = 120;
/** The ceiling on the host and its executors under any flood. */
const MEMORY_CEILING = 2 ** 30;
const BUFFER_LIMIT = 96 * 2 ** 20;
const TIGHT_DEADLINE_MS = 150;
/**
 * How far above where it started the memory of the host and its executors
 * may stay once a flood is over: 20-60 MiB here (the host's malloc arenas
 * keep some), where an executor that kept its isolates' heaps, or a host on
 * glibc's default malloc settings, stays 100-170 MiB above.
 */
const SETTLED_MARGIN = 96 * 2 ** 20;
/** How long it may take: executors collect a second time after 10 s idle, the host's V8 shrinks its heap after about 8 s. */
const SETTLE_WITHIN_MS = 30_000;
const SLOTS = 2;

let store: Store;
let server: ChildProcess;
let base: string;
let pool: Pool;
let before: TreeMemory;
const body = JSON.stringify({ rows: Array.from({ length: 100_000 }, (_, i) => ({ id: i, text: `row ${i} of the flood` })) });
const small = JSON.stringify({ rows: [{ id: 1, text: "probe" }] });

interface Answer {
  status: number;
  ms: number;
  code?: string;
  message?: string;
}

async function send(path: string, payload: string, headers: Record<string, string> = {}): Promise<Answer> {
  const started = performance.now();
  const res = await pool.request({ method: "POST", path, headers: { "content-type": "application/json", ...headers }, body: payload });
  const text = await res.body.text();
  const error = res.statusCode === 200 ? undefined : (JSON.parse(text) as { error: { code: string; message: string } }).error;
  return { status: res.statusCode, ms: performance.now() - started, code: error?.code, message: error?.message };
}

async function probeWhile(until: Promise<unknown>, probe: () => Promise<Answer>): Promise<Answer[]> {
  const answers: Answer[] = [];
  let done = false;
  void until.finally(() => (done = true));
  while (!done) answers.push(await probe());
  return answers;
}

const percentile = (answers: Answer[], p: number) => {
  const ms = answers.map((a) => a.ms).sort((a, b) => a - b);
  return Math.round((ms[Math.min(ms.length - 1, Math.floor(ms.length * p))] ?? NaN) * 10) / 10;
};

beforeAll(async () => {
  store = await tempStore();
  await deployModule(store, FLOODED, join(IDENTITY, "package.json"), join(IDENTITY, "features.ts"));
  await deployModule(store, CALM, join(IDENTITY, "package.json"), join(IDENTITY, "features.ts"));
  const config = join(store.root, "vial.config.json");
  await writeFile(
    config,
    JSON.stringify({
      port: 0,
      bufferLimitBytes: BUFFER_LIMIT,
      environmentBufferLimitBytes: BUFFER_LIMIT / 2,
      // Long enough for a 100,000-row batch on a busy machine: the flood is shed for room, not for time.
      pool: { size: SLOTS, maxQueue: 64, deadlineMs: 30_000 },
    }),
  );
  // With the malloc settings the image starts the host with (runtime/malloc-env.ts).
  server = spawn(process.execPath, [join(REPO, "bin/vial.js"), "serve", "--store", store.root, "--config", config], {
    cwd: REPO,
    env: { ...process.env, ...MALLOC_ENV },
    stdio: ["ignore", "pipe", "inherit"],
  });
  const logs: Array<Record<string, unknown>> = [];
  createInterface({ input: server.stdout! }).on("line", (line) => logs.push(JSON.parse(line) as Record<string, unknown>));
  await eventually(() => logs.some((l) => l.msg === "host ready"));
  base = logs.find((l) => typeof l.address === "string")!.address as string;
  pool = new Pool(base, { connections: FLOOD_REQUESTS + 8, headersTimeout: 0, bodyTimeout: 0 });
}, 300_000);

afterAll(async () => {
  await pool?.close();
  server?.kill("SIGTERM");
  if (server) await new Promise((resolve) => server.once("exit", resolve));
  if (store) await rm(store.root, { recursive: true, force: true });
});

describe("a flood of large batches to one environment", () => {
  it("sheds what it cannot hold, answers everything once, and leaves the others alone", async () => {
    const idleCalm = await Promise.all(Array.from({ length: 20 }, () => send(`/v1/invoke/${CALM}/identity`, small)));
    before = await treeMemory(server.pid!);
    const memory = sampleTreeMemory(server.pid!, 50);
    let mostBuffered = 0;
    const sampler = setInterval(() => {
      void fetch(`${base}/metrics`)
        .then((r) => r.text())
        .then((text) => (mostBuffered = Math.max(mostBuffered, metricValue(text, "vial_buffered_bytes"))));
    }, 50);

    const flood = Promise.all(Array.from({ length: FLOOD_REQUESTS }, () => send(`/v1/invoke/${FLOODED}/identity`, body)));
    const [floodAnswers, calm, health, tight] = await Promise.all([
      flood,
      probeWhile(flood, () => send(`/v1/invoke/${CALM}/identity`, small)),
      probeWhile(flood, async () => {
        const started = performance.now();
        const res = await fetch(`${base}/healthz`);
        await res.text();
        return { status: res.status, ms: performance.now() - started };
      }),
      probeWhile(flood, () => send(`/v1/invoke/${FLOODED}/identity`, small, { "x-vial-deadline-ms": String(TIGHT_DEADLINE_MS) })),
    ]);
    clearInterval(sampler);
    const peak = Math.max(before.rssBytes, (await memory.stop()).peakRssBytes);

    // Every request had exactly one answer, and only the answers overload allows.
    expect(floodAnswers).toHaveLength(FLOOD_REQUESTS);
    expect([...floodAnswers, ...tight].filter((a) => ![200, 503, 504].includes(a.status))).toEqual([]);
    const shed = floodAnswers.filter((a) => a.status === 503);
    expect(shed.length).toBeGreaterThan(0);
    expect(new Set(shed.map((a) => a.code))).toEqual(new Set(["overloaded"]));
    expect(floodAnswers.some((a) => a.status === 200)).toBe(true);
    // The other environment and the health endpoint never failed.
    expect(calm.filter((a) => a.status !== 200)).toEqual([]);
    expect(health.filter((a) => a.status !== 200)).toEqual([]);

    const metrics = await (await fetch(`${base}/metrics`)).text();
    expect(metricValue(metrics, "vial_shed_total", { env: FLOODED })).toBeGreaterThanOrEqual(shed.length);
    expect(metricValue(metrics, "vial_shed_total", { env: CALM })).toBe(0);
    // The host never held more body bytes than its budget (the flood offered five times as much), holds none
    // once it is over, and the host with its executors stayed under the ceiling.
    expect(mostBuffered).toBeGreaterThan(0);
    expect(mostBuffered).toBeLessThanOrEqual(BUFFER_LIMIT);
    await eventually(async () => metricValue(await (await fetch(`${base}/metrics`)).text(), "vial_buffered_bytes") === 0);
    expect(peak).toBeLessThan(MEMORY_CEILING);

    console.log(
      `[vial-figures] overload ${JSON.stringify({
        flood: { requests: FLOOD_REQUESTS, bodyMiB: Math.round(body.length / 2 ** 20 * 10) / 10, ok: floodAnswers.filter((a) => a.status === 200).length, shed: shed.length, late: floodAnswers.filter((a) => a.status === 504).length },
        calm: { calls: calm.length, p50ms: percentile(calm, 0.5), p99ms: percentile(calm, 0.99), idleP99ms: percentile(idleCalm, 0.99) },
        healthz: { calls: health.length, maxMs: percentile(health, 1) },
        tight: { calls: tight.length, deadlineMs: TIGHT_DEADLINE_MS, maxMs: percentile(tight, 1), statuses: [...new Set(tight.map((a) => a.status))] },
        serverRssMiB: { before: Math.round(before.rssBytes / 2 ** 20), peak: Math.round(peak / 2 ** 20) },
        mostBufferedMiB: Math.round(mostBuffered / 2 ** 20),
      })}`,
    );
  });

  it("gives the memory back once it is over", async () => {
    const until = performance.now() + SETTLE_WITHIN_MS;
    let now = await treeMemory(server.pid!, false);
    while (now.rssBytes > before.rssBytes + SETTLED_MARGIN && performance.now() < until) {
      await new Promise((resolve) => setTimeout(resolve, 500));
      now = await treeMemory(server.pid!, false);
    }
    const mib = (bytes: number) => Math.round(bytes / 2 ** 20);
    console.log(`[vial-figures] overload settled ${JSON.stringify({ beforeMiB: mib(before.rssBytes), settledMiB: mib(now.rssBytes) })}`);
    expect(mib(now.rssBytes), `host and executors: ${mib(before.rssBytes)} MiB before the flood`).toBeLessThanOrEqual(mib(before.rssBytes + SETTLED_MARGIN));
  });
});
