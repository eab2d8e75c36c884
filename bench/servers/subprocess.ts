/**
 * Contender "subprocess": the architecture vial replaces for Python. A bare
 * Hono route (as the floor) hands each batch to a pool of long-lived python3
 * processes (same size as a vial pool, one batch at a time each) running the
 * module natively over line-delimited stdin/stdout. A bounded queue with 503
 * past it, as vial's pool. No sandbox, no row checks on the Node side (the
 * dispatcher in Python decodes and encodes rows, as inside the guest).
 */
import { PythonWorker } from "../python/workers.ts";
import { config, fail, servePools, type BatchResult } from "./child.ts";

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

  async run(fn: string, batch: string): Promise<BatchResult> {
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
  servePools(pools, { readyMs }, async () => {
    for (const pool of pools.values()) pool.stop();
  });
}

main().catch(fail);
