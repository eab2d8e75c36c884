/**
 * One component instance in its own thread, so a runaway call can be stopped
 * by terminating the thread without touching any other call.
 */
import { parentPort, workerData } from "node:worker_threads";
import { instantiateComponent, type ComponentGuest } from "./instantiate.ts";
import { componentOutcome } from "./limits.ts";
import type { CallReply, CallRequest, StartupMessage, WorkerSetup } from "./protocol.ts";

const setup = workerData as WorkerSetup;
const port = parentPort!;
const memories: WebAssembly.Memory[] = [];

const memoryBytes = (): number => memories.reduce((most, m) => Math.max(most, m.buffer.byteLength), 0);

function run(guest: ComponentGuest, req: CallRequest): { envelope: string } | { error: unknown } {
  try {
    return { envelope: guest.callSync(req.fn, req.batch) };
  } catch (error) {
    return { error };
  }
}

function serve(guest: ComponentGuest): void {
  port.on("message", (req: CallRequest) => {
    // Judged here, so an oversized result is never copied out of the thread.
    const result = run(guest, req);
    port.postMessage({ id: req.id, ...componentOutcome(result, memoryBytes(), setup.limits) } satisfies CallReply);
  });
}

async function start(): Promise<void> {
  const guest = await instantiateComponent(
    { language: setup.language, bindings: setup.bindings, modules: new Map(setup.modules) },
    {
      onCoreInstance(instance) {
        for (const value of Object.values(instance.exports)) if (value instanceof WebAssembly.Memory) memories.push(value);
      },
    },
  );
  await guest.reseed(setup.entropy);
  serve(guest);
  port.postMessage({ type: "ready" } satisfies StartupMessage);
}

start().catch((error: unknown) => {
  port.postMessage({ type: "failed", message: error instanceof Error ? error.message : String(error) } satisfies StartupMessage);
});
