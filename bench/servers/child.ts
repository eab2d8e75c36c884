/**
 * The child side of a contender server: listen on loopback, tell the parent
 * the port over IPC, exit when told. Each contender runs in its own process
 * so no two share a heap, a GC or an event loop.
 */
import { serve } from "@hono/node-server";
import { Hono } from "hono";
import type { AddressInfo } from "node:net";

export interface Listening {
  type: "listening";
  port: number;
  /** Anything else the parent should record (e.g. start-to-ready times). */
  info: Record<string, unknown>;
}

type Fetch = (request: Request) => Response | Promise<Response>;

export function config<T>(): T {
  return JSON.parse(process.argv[2] ?? "{}") as T;
}

export function listen(fetch: Fetch, info: Record<string, unknown>, onClose: () => Promise<void> = async () => {}): void {
  const server = serve({ fetch, port: 0, hostname: "127.0.0.1" }, (address: AddressInfo) => reportListening(address.port, info, async () => {
    server.close();
    await onClose();
  }));
}

/** Tells the parent where this contender listens, and stops (or collects garbage) when it says so. */
export function reportListening(port: number, info: Record<string, unknown>, onClose: () => Promise<void>): void {
  process.send!({ type: "listening", port, info } satisfies Listening);
  const stop = async () => {
    await onClose().catch(() => {});
    process.exit(0);
  };
  process.on("message", (msg: { type?: string }) => {
    if (msg?.type === "stop") void stop();
    // Between contenders' slices only (see Contender.settle); needs --expose-gc.
    if (msg?.type === "gc") {
      (globalThis as { gc?: () => void }).gc?.();
      process.send!({ type: "gc-done" });
    }
  });
  process.on("disconnect", () => void stop());
}

/** Fails the start visibly: the parent shows this line. */
export function fail(error: unknown): never {
  process.send?.({ type: "failed", message: error instanceof Error ? (error.stack ?? error.message) : String(error) });
  process.exit(1);
}

export type BatchResult = { ok: true; envelope: string } | { ok: false; status: number; message: string };

/** A warm pool of some kind that runs one batch (JSON rows text) of a function. */
export interface BatchPool {
  run(fn: string, batch: string): Promise<BatchResult>;
}

/** The bare route every pooled contender serves: rows in, the guest's envelope out. */
export function servePools(pools: Map<string, BatchPool>, info: Record<string, unknown>, onClose: () => Promise<void>): void {
  const app = new Hono();
  app.post("/call/:env/:fn", async (c) => {
    const pool = pools.get(c.req.param("env"));
    if (!pool) return c.json({ error: "unknown environment" }, 404);
    const batch = JSON.stringify((JSON.parse(await c.req.text()) as { rows: unknown[] }).rows);
    const result = await pool.run(c.req.param("fn"), batch);
    if (!result.ok) return c.json({ error: result.message }, result.status as 500 | 503);
    return c.body(result.envelope, 200, { "content-type": "application/json" });
  });
  listen(app.fetch, info, onClose);
}
