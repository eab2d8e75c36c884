/**
 * Contender "isolates": a warm pool of V8 isolates (isolated-vm) in the
 * server's own process, each running the version's bundle, under the same
 * admission policy as a vial pool (size, bounded queue, 503 past it). No
 * process boundary, no row checks: what vial's V8 engine would cost if it
 * trusted the isolate alone.
 */
import { startIsolate, type IsolateGuest } from "../../runtime/v8/isolate.ts";
import { freshEntropy } from "../../runtime/guest.ts";
import { versionBundle } from "../bundle.ts";
import { config, fail, servePools, type BatchResult } from "./child.ts";

interface IsolatesConfig {
  store: string;
  envs: Array<{ name: string; from: string; maxQueue: number }>;
  size: number;
  memoryMiB: number;
}

class IsolatePool {
  private readonly waiting: Array<(slot: IsolateGuest) => void> = [];
  constructor(
    private readonly idle: IsolateGuest[],
    private readonly maxQueue: number,
  ) {}

  async run(fn: string, batch: string): Promise<BatchResult> {
    let slot = this.idle.pop();
    if (!slot) {
      if (this.waiting.length >= this.maxQueue) return { ok: false, status: 503, message: "overloaded" };
      slot = await new Promise<IsolateGuest>((resolve) => this.waiting.push(resolve));
    }
    try {
      return { ok: true, envelope: await slot.call(fn, batch) };
    } catch (error) {
      return { ok: false, status: 500, message: String(error) };
    } finally {
      const next = this.waiting.shift();
      if (next) next(slot);
      else this.idle.push(slot);
    }
  }

  dispose(): void {
    for (const slot of this.idle) slot.dispose();
  }
}

async function main() {
  const cfg = config<IsolatesConfig>();
  const started = performance.now();
  const pools = new Map<string, IsolatePool>();
  for (const env of cfg.envs) {
    const bundle = await versionBundle(cfg.store, env.from);
    const slots = await Promise.all(
      Array.from({ length: cfg.size }, async () => {
        const slot = await startIsolate(bundle, { memoryLimitBytes: cfg.memoryMiB * 2 ** 20 });
        await slot.reseed(freshEntropy());
        return slot;
      }),
    );
    pools.set(env.name, new IsolatePool(slots, env.maxQueue));
  }
  const readyMs = performance.now() - started;
  servePools(pools, { readyMs }, async () => {
    for (const pool of pools.values()) pool.dispose();
  });
}

main().catch(fail);
