/**
 * An executor running a large batch drops below every other process in the
 * scheduler (niceness 19, every thread) and comes back to its own niceness
 * when its last large call ends; small calls leave it where it is. Where the
 * host may not raise a priority back (neither root nor a high enough
 * RLIMIT_NICE), it says so and never lowers it.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { spawn } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { rm } from "node:fs/promises";
import type { Store } from "../../builds/store.ts";
import { LARGE_BATCH_NICENESS, LargeBatchPriority } from "../../supervision/priority.ts";
import { deployModule, REPO, tempStore } from "../host/helpers.ts";
import { watchedHost, type Watched } from "../security/helpers.ts";

const IDENTITY = join(REPO, "bench", "fixtures", "identity");
const ENV = "ident";
const root = process.getuid?.() === 0;

/** The niceness of every thread of a process (field 19 of /proc/<pid>/task/<tid>/stat). */
function threadNiceness(pid: number): number[] {
  return readdirSync(`/proc/${pid}/task`).flatMap((tid) => {
    try {
      return [Number(readFileSync(`/proc/${pid}/task/${tid}/stat`, "utf8").split(") ")[1]!.split(" ")[16])];
    } catch {
      return []; // a thread that ended meanwhile
    }
  });
}

describe("LargeBatchPriority", () => {
  it.runIf(root)("lowers every thread while any large call runs, and restores the niceness after the last", async () => {
    // A process with several threads (Node's own and a worker's), ten below this one.
    const script = "new (require('node:worker_threads').Worker)('setInterval(() => {}, 1000)', { eval: true }); setInterval(() => {}, 1000)";
    const child = spawn("nice", ["-n", "10", process.execPath, "-e", script], { stdio: "ignore" });
    try {
      await new Promise((resolve) => setTimeout(resolve, 300));
      const priority = new LargeBatchPriority(child.pid!);
      expect(priority.available).toBe(true);
      expect(priority.niceness).toBe(10);
      const first = priority.enter();
      const second = priority.enter();
      expect(new Set(threadNiceness(child.pid!))).toEqual(new Set([LARGE_BATCH_NICENESS]));
      first();
      expect(new Set(threadNiceness(child.pid!))).toEqual(new Set([LARGE_BATCH_NICENESS]));
      second();
      expect(new Set(threadNiceness(child.pid!))).toEqual(new Set([10]));
    } finally {
      child.kill();
    }
  });
});

describe("an executor's priority under a large batch", () => {
  let store: Store;
  let host: Watched;

  beforeAll(async () => {
    store = await tempStore();
    await deployModule(store, ENV, join(IDENTITY, "package.json"), join(IDENTITY, "features.ts"));
    host = await watchedHost(store, { pool: { size: 1, deadlineMs: 60_000 } });
  }, 300_000);

  afterAll(async () => {
    await host?.close();
    if (store) await rm(store.root, { recursive: true, force: true });
  });

  const executor = async () => {
    const { environments } = (await (await fetch(`${host.base}/v1/environments`)).json()) as { environments: Array<{ executor: { pid: number; niceness?: number; largeBatchNiceness?: number } }> };
    return environments[0]!.executor;
  };

  it("drops while a large batch runs and comes back after it; a small call leaves it alone", async () => {
    const { pid, niceness, largeBatchNiceness } = await executor();
    expect(niceness).toBe(10);
    if (!root) {
      expect(largeBatchNiceness).toBeUndefined();
      return;
    }
    expect(largeBatchNiceness).toBe(LARGE_BATCH_NICENESS);

    const seen = new Set<number>();
    let running = true;
    const watching = (async () => {
      while (running) {
        for (const n of threadNiceness(pid)) seen.add(n);
        await new Promise((resolve) => setTimeout(resolve, 2));
      }
    })();
    const small = await host.invoke(ENV, "identity", [{ id: 1, text: "small" }]);
    expect(small.status).toBe(200);
    expect(seen).toEqual(new Set([10]));

    const rows = Array.from({ length: 100_000 }, (_, i) => ({ id: i, text: `row ${i} of a large batch` }));
    const large = await host.invoke(ENV, "identity", rows);
    running = false;
    await watching;
    expect(large.status).toBe(200);
    // The batch crossed to the executor and back in parts (executor/parts.ts), whole.
    expect((large.value as { rows: unknown[] }).rows).toEqual(rows.map(({ id, text }) => ({ id, text })));
    expect(seen.has(LARGE_BATCH_NICENESS)).toBe(true);
    expect(new Set(threadNiceness(pid))).toEqual(new Set([10]));
  });
});
