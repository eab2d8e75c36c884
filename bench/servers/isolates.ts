/**
 * Contender "isolates": a warm pool of V8 isolates (isolated-vm), each with
 * the same bundled JS the component embeds, under the same admission policy
 * as a vial pool (size, bounded queue, 503 past it). Calls run on
 * isolated-vm's threads, off the server's event loop.
 */
import ivm from "isolated-vm";
import { readFileSync } from "node:fs";
import { config, fail, servePools, type BatchResult } from "./child.ts";

interface IsolatesConfig {
  envs: Array<{ name: string; scriptFile: string; maxQueue: number }>;
  size: number;
  memoryMiB: number;
}

interface Slot {
  isolate: ivm.Isolate;
  call: ivm.Reference<(fn: string, batch: string) => string>;
}

async function startSlot(script: string, memoryMiB: number): Promise<Slot> {
  const isolate = new ivm.Isolate({ memoryLimit: memoryMiB });
  const context = await isolate.createContext();
  await context.eval(script);
  await context.evalClosure("vialEnv.reseed(new Uint8Array($0.copy()))", [new ivm.ExternalCopy(crypto.getRandomValues(new Uint8Array(32)))]);
  const call = (await context.eval("(fn, batch) => vialEnv.call(fn, batch)", { reference: true })) as Slot["call"];
  return { isolate, call };
}

class IsolatePool {
  private readonly waiting: Array<(slot: Slot) => void> = [];
  constructor(
    private readonly idle: Slot[],
    private readonly maxQueue: number,
  ) {}

  async run(fn: string, batch: string): Promise<BatchResult> {
    let slot = this.idle.pop();
    if (!slot) {
      if (this.waiting.length >= this.maxQueue) return { ok: false, status: 503, message: "overloaded" };
      slot = await new Promise<Slot>((resolve) => this.waiting.push(resolve));
    }
    try {
      return { ok: true, envelope: await slot.call.apply(undefined, [fn, batch], { result: { copy: true } }) };
    } catch (error) {
      return { ok: false, status: 500, message: String(error) };
    } finally {
      const next = this.waiting.shift();
      if (next) next(slot);
      else this.idle.push(slot);
    }
  }

  dispose(): void {
    for (const slot of this.idle) slot.isolate.dispose();
  }
}

async function main() {
  const cfg = config<IsolatesConfig>();
  const started = performance.now();
  const pools = new Map<string, IsolatePool>();
  for (const env of cfg.envs) {
    const script = readFileSync(env.scriptFile, "utf8");
    const slots = await Promise.all(Array.from({ length: cfg.size }, () => startSlot(script, cfg.memoryMiB)));
    pools.set(env.name, new IsolatePool(slots, env.maxQueue));
  }
  const readyMs = performance.now() - started;
  servePools(pools, { readyMs }, async () => {
    for (const pool of pools.values()) pool.dispose();
  });
}

main().catch(fail);
