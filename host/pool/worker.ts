/**
 * One guest instance in its own thread, so a runaway call can be stopped by
 * terminating the thread without touching any other call.
 */
import "../wasm-flags.ts";
import { parentPort, workerData } from "node:worker_threads";
import { instantiateGuest, GuestCallError, type GuestInstance } from "../guest-instance.ts";
import { grantsFor } from "../grants.ts";
import { guardImports } from "../loader/guard-imports.ts";
import type { CallReply, CallRequest, StartupMessage, WorkerSetup } from "./protocol.ts";

const setup = workerData as WorkerSetup;
const port = parentPort!;
const memories: WebAssembly.Memory[] = [];

const memoryBytes = (): number => memories.reduce((most, m) => Math.max(most, m.buffer.byteLength), 0);

function serve(guest: GuestInstance): void {
  port.on("message", (req: CallRequest) => {
    let reply: CallReply;
    try {
      const envelope = guest.call(req.fn, req.batch);
      // Checked here so an oversized result is never copied to the main thread, let alone parsed there.
      const bytes = Buffer.byteLength(envelope);
      reply =
        bytes > setup.outputLimitBytes
          ? { id: req.id, ok: false, kind: "output", bytes, message: `output of ${bytes} bytes`, memoryBytes: memoryBytes() }
          : { id: req.id, ok: true, envelope, memoryBytes: memoryBytes() };
    } catch (error) {
      const kind = error instanceof GuestCallError ? "guest" : "trap";
      reply = { id: req.id, ok: false, kind, message: error instanceof Error ? error.message : String(error), memoryBytes: memoryBytes() };
    }
    port.postMessage(reply);
  });
}

/** No top-level await: the thread loads this file through a require hook (see worker-thread.ts). */
async function start(): Promise<void> {
  const grants = await grantsFor(setup.language);
  const imports = guardImports(await grants.createImports(), setup.allowlist);
  const guest = await instantiateGuest(setup.bindingsFile, new Map(setup.modules), imports, {
    onCoreInstance(instance) {
      for (const value of Object.values(instance.exports)) if (value instanceof WebAssembly.Memory) memories.push(value);
    },
  });
  guest.reseed(setup.entropy);
  serve(guest);
  port.postMessage({ type: "ready" } satisfies StartupMessage);
}

start().catch((error: unknown) => {
  port.postMessage({ type: "failed", message: error instanceof Error ? error.message : String(error) } satisfies StartupMessage);
});
