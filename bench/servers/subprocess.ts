/**
 * Contender "subprocess": the architecture vial replaces for Python. A bare
 * Hono route (as the floor) hands each batch to a pool of long-lived python3
 * processes (same size as a vial pool, one batch at a time each) running the
 * module natively over line-delimited stdin/stdout. A bounded queue with 503
 * past it, as vial's pool. No sandbox, no row checks on the Node side (the
 * dispatcher in Python decodes and encodes rows, as inside the guest).
 */
import { Hono } from "hono";
import { PythonWorker } from "../python/workers.ts";
import { config, fail, listen } from "./child.ts";

interface SubprocessConfig {
  envs: Array<{ name: string; module: string; maxQueue: number }>;
  size: number;
}

class WorkerPool {
  private readonly waiting: Array<(w: PythonWorker) => void> = [];
  constructor(
    private readonly idle: PythonWorker[],
    private readonly maxQueue: number,
  ) {}

  async run(fn: string, batch: string): Promise<{ ok: true; envelope: string } | { ok: false; status: number; message: string }> {
    let worker = this.idle.pop();
    if (!worker) {
      if (this.waiting.length >= this.maxQueue) return { ok: false, status: 503, message: "overloaded" };
      worker = await new Promise<PythonWorker>((resolve) => this.waiting.push(resolve));
    }
    try {
      return { ok: true, envelope: await worker.call(fn, batch) };
    } catch (error) {
      return { ok: false, status: 500, message: String(error) };
    } finally {
      const next = this.waiting.shift();
      if (next) next(worker);
      else this.idle.push(worker);
    }
  }

  stop(): void {
    for (const w of this.idle) w.stop();
  }
}

async function main() {
  const cfg = config<SubprocessConfig>();
  const started = performance.now();
  const pools = new Map<string, WorkerPool>();
  for (const env of cfg.envs) {
    const workers = await Promise.all(Array.from({ length: cfg.size }, () => PythonWorker.start(env.module)));
    pools.set(env.name, new WorkerPool(workers, env.maxQueue));
  }
  const readyMs = performance.now() - started;
  const app = new Hono();
  app.post("/call/:env/:fn", async (c) => {
    const pool = pools.get(c.req.param("env"));
    if (!pool) return c.json({ error: "unknown environment" }, 404);
    const batch = JSON.stringify((JSON.parse(await c.req.text()) as { rows: unknown[] }).rows);
    const result = await pool.run(c.req.param("fn"), batch);
    if (!result.ok) return c.json({ error: result.message }, result.status as 500 | 503);
    return c.body(result.envelope, 200, { "content-type": "application/json" });
  });
  listen(app.fetch, { readyMs }, async () => {
    for (const pool of pools.values()) pool.stop();
  });
}

main().catch(fail);
