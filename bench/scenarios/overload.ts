/**
 * G. Overload: a flood of large batches (about 7.7 MB, 100,000 rows each,
 * many clients in a closed loop) to one environment of a vial host, while
 * three probes run one request at a time each: 1-row calls to another
 * environment (back to back), GET /healthz (every 10 ms), and 1-row calls
 * with a tight deadline to the flooded environment (back to back). The same probes on the idle host first. Reports
 * served, shed and late flood requests, the probes' latency against idle,
 * how far past its deadline a tight call was answered, and the resident
 * memory of the host and its executors at peak and after.
 */
import { Pool } from "undici";
import { fork } from "node:child_process";
import { on, once } from "node:events";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { setPriority, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { FUZZY, IDENTITY } from "../envs.ts";
import { startServer } from "../servers/spawn.ts";
import type { VialServerConfig } from "../servers/vial.ts";
import { sampleTreeMemory, treeMemory } from "../../testing/process-tree.ts";
import type { LatencySummary } from "../histogram.ts";
import type { ProbeConfig } from "../load/probe.ts";
import type { Mode } from "../modes.ts";
import { MALLOC_ENV } from "../../runtime/malloc-env.ts";

const FLOOD_ROWS = 100_000;
const TIGHT_DEADLINE_MS = 100;
const FLOOD_DEADLINE_MS = 10_000;
/** When "settled" memory is read, after the flood. */
const SETTLE_MS = 12_000;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const mib = (b: number) => Math.round((b / 2 ** 20) * 10) / 10;

export const floodBody = (): string =>
  JSON.stringify({ rows: Array.from({ length: FLOOD_ROWS }, (_, i) => ({ id: i, text: `row ${i} of the flood, padded to a realistic width` })) });

interface FloodCounts {
  sent: number;
  ok: number;
  shed: number;
  late: number;
  other: number;
  errors: Record<string, number>;
}

/** A load process of bench/load/, its configuration as its argument. */
const forkLoad = (script: string, cfg: object) =>
  fork(fileURLToPath(new URL(`../load/${script}`, import.meta.url)), [JSON.stringify(cfg)], { execArgv: ["--import", "tsx"], stdio: ["ignore", "ignore", "inherit", "ipc"] });

/**
 * The flood runs in a process of its own, at the lowest scheduling priority:
 * it stands for callers on other machines, so neither the probes nor the host
 * should wait for a core behind the work of sending it (bench/load/flood.ts).
 */
function runFlood(cfg: object): Promise<FloodCounts> {
  const child = forkLoad("flood.ts", cfg);
  setPriority(child.pid!, 19);
  return new Promise((resolve, reject) => {
    child.once("message", (counts: FloodCounts) => resolve(counts));
    child.once("exit", (code) => reject(new Error(`the flood process exited (code ${code}) without its counts`)));
  });
}

/** Starts a probe process (bench/load/probe.ts); `stop` ends it and resolves with its figures. */
async function startProbe(cfg: ProbeConfig) {
  const child = forkLoad("probe.ts", cfg);
  const messages = on(child, "message") as AsyncIterableIterator<[{ type: string; summary?: LatencySummary; statuses?: Record<string, number> }]>;
  const exited = once(child, "exit").then(([code]) => Promise.reject(new Error(`a probe process exited (code ${code}) before its figures`)));
  exited.catch(() => undefined);
  const next = async () => (await Promise.race([messages.next(), exited])).value[0];
  await next(); // started
  return {
    async stop() {
      child.send({ type: "stop" });
      const { summary, statuses } = await next();
      return { ...summary!, statuses: statuses! };
    },
  };
}

/**
 * Runs every probe, each in its own process: once all are running (and have
 * made their first request), `during` starts and they probe until it
 * settles. Latency summaries and statuses per probe, and what `during` gave.
 */
async function probe<T>(probes: Record<string, ProbeConfig>, during: () => Promise<T>) {
  const running = await Promise.all(Object.entries(probes).map(async ([name, cfg]) => [name, await startProbe(cfg)] as const));
  const result = await during();
  const summaries = Object.fromEntries(await Promise.all(running.map(async ([name, p]) => [name, await p.stop()] as const)));
  return { summaries, result };
}

export async function overload(store: string, mode: Mode, progress: (msg: string) => void) {
  const cfg: VialServerConfig = { store, size: mode.capacity, deadlineMs: FLOOD_DEADLINE_MS, defaultMaxQueue: 64, maxQueue: {} };
  // The host as the image runs `vial serve`: no V8 flags (the contender flags of A-F are for comparing designs), and
  // the image's malloc settings (runtime/malloc-env.ts).
  const server = await startServer("./vial.ts", cfg, [], MALLOC_ENV);
  const client = new Pool(server.origin, { connections: 1 });
  try {
    const small = (row: object) => JSON.stringify({ rows: [row] });
    const list: Record<string, ProbeConfig> = {
      other_environment: { origin: server.origin, method: "POST", path: `/v1/invoke/${FUZZY.name}/${FUZZY.fn}`, body: small({ text: "brownie" }) },
      // An orchestrator's probe comes every few seconds; a hundred a second still catches any stall of the host's loop.
      healthz: { origin: server.origin, method: "GET", path: "/healthz", intervalMs: 10 },
      tight_deadline: {
        origin: server.origin,
        method: "POST",
        path: `/v1/invoke/${IDENTITY.name}/${IDENTITY.fn}`,
        body: small({ id: 1, text: "probe" }),
        headers: { "x-vial-deadline-ms": String(TIGHT_DEADLINE_MS) },
      },
    };
    progress(`G overload: probes on the idle host`);
    const { summaries: idle } = await probe(list, () => sleep(mode.overload.seconds * 500));
    const startMemory = await treeMemory(server.pid);

    progress(`G overload: ${mode.overload.clients} clients flooding ${IDENTITY.name} with ${FLOOD_ROWS.toLocaleString("en")}-row batches`);
    const bodyFile = join(await mkdtemp(join(tmpdir(), "vial-flood-")), "body.json");
    const body = floodBody();
    await writeFile(bodyFile, body);
    const sampler = sampleTreeMemory(server.pid, 100);
    const { summaries: loaded, result: flood } = await probe(list, () =>
      runFlood({
        origin: server.origin,
        path: `/v1/invoke/${IDENTITY.name}/${IDENTITY.fn}`,
        bodyFile,
        clients: mode.overload.clients,
        seconds: mode.overload.seconds,
        deadlineMs: FLOOD_DEADLINE_MS,
      }),
    );
    const sampled = await sampler.stop();
    const peak = Math.max(startMemory.rssBytes, sampled.peakRssBytes);
    const peakPss = Math.max(startMemory.pssBytes, sampled.peakPssBytes);
    await rm(join(bodyFile, ".."), { recursive: true, force: true });
    // Past an executor's second collection after its last large body (executor/main.ts IDLE_COLLECT_MS).
    await sleep(SETTLE_MS);
    const settled = await treeMemory(server.pid);
    const metrics = await (await client.request({ method: "GET", path: "/metrics" })).body.text();
    const events = Object.fromEntries([...metrics.matchAll(/^vial_client_events_total\{event="(\w+)"\} (\d+)/gm)].map((m) => [m[1], Number(m[2])]));
    return {
      flood: { clients: mode.overload.clients, seconds: mode.overload.seconds, body_mib: mib(body.length), rows: FLOOD_ROWS, ...flood },
      tight_deadline_ms: TIGHT_DEADLINE_MS,
      client_events: events,
      idle,
      loaded,
      memory: {
        start_rss_mib: mib(startMemory.rssBytes),
        peak_rss_mib: mib(peak),
        settled_after_s: SETTLE_MS / 1000,
        settled_rss_mib: mib(settled.rssBytes),
        start_pss_mib: mib(startMemory.pssBytes),
        peak_pss_mib: mib(peakPss),
        settled_pss_mib: mib(settled.pssBytes),
      },
    };
  } finally {
    await client.close();
    await server.stop();
  }
}
