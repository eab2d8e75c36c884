/**
 * An executor: one process per environment version, started by the host
 * with nothing of its own (no environment variables, no files but its code,
 * and where the machine allows it no network and no view of other
 * processes). It receives the verified version, keeps its warm instances,
 * and does every call's per-row work; it exits when the host goes away.
 */
import "../runtime/wasm/flags.ts";
import { Socket } from "node:net";
import { collectGarbage } from "../runtime/garbage.ts";
import { Pool } from "./pool/pool.ts";
import { ENGINES } from "../runtime/engines/index.ts";
import { errorReply, runCall, type CallContext } from "./call.ts";
import { runShadowCall } from "./shadow.ts";
import { Assembler, firstPart, sendRest } from "./parts.ts";
import { ApiError, deadlineExceeded } from "../runtime/errors.ts";
import { cut, MAX_ERROR_CHARS } from "../runtime/guest-output.ts";
import { Channel, CHANNEL_FD } from "./channel.ts";
import type { CallMessage, CallReply, ExecutorMessage, ExecutorSetup, HostMessage } from "./protocol.ts";
import { confineRunning } from "./confinement/layers.ts";
import { PROBE_FLAG, runNativeProbe } from "./confinement/probe.ts";
import { serveDirect } from "./direct/server.ts";
import { ServedLog } from "./direct/served.ts";

// Started by the confinement launcher: from here on, nothing in this process runs another program.
confineRunning();
// The host's check of what native code in a confined executor can do (sandbox.ts): run instead of serving.
const probeAt = process.argv.indexOf(PROBE_FLAG);
if (probeAt >= 0) runNativeProbe(Number(process.argv[probeAt + 1]));

function send(msg: ExecutorMessage, written?: () => void): void {
  channel.send(msg, written);
}

/** A reply, its body in parts when it is large (parts.ts). */
function reply(msg: CallReply): void {
  if (!msg.ok || !(msg.body instanceof Uint8Array)) return send(msg);
  const body = msg.body;
  const { first, bodyBytes } = firstPart(body);
  send({ ...msg, body: first, bodyBytes });
  if (bodyBytes !== undefined) void sendRest(msg.id, body, send, () => channel.connected);
}

const LARGE_BODY_BYTES = 2 ** 20;
/**
 * After a large body, once idle: this long for a first collection (the
 * garbage goes), then again once V8 will shrink the young generations the
 * body grew (it does only at a collection some seconds after allocation
 * stopped: at 10 s on every Node line vial runs on, not at 6 s on 20 and 22).
 */
const IDLE_COLLECT_MS = [200, 10_000];

/** Ends the process at once: what isolated-vm asks for when V8 has lost control of an isolate. */
function fatal(reason: string): never {
  process.stderr.write(`vial executor: ${reason}\n`);
  process.abort();
}

async function start(setup: ExecutorSetup): Promise<void> {
  // The host has chosen the engine (supervision/engine.ts).
  const pool = new Pool(await ENGINES[setup.engine].instanceFactory(setup, fatal), setup, {
    instanceStarted: () => send({ type: "instance", event: "started" }),
    instanceRestarted: (cause) => send({ type: "instance", event: "restarted", cause }),
    instanceStartFailed: (error) => send({ type: "instance", event: "start-failed", message: cut(error.message, MAX_ERROR_CHARS) }),
    requestPathInstantiation: () => send({ type: "instance", event: "request-path-instantiation" }),
  });
  await pool.start();
  const ctx: CallContext = {
    env: setup.version.env,
    functions: new Map(setup.version.manifest.functions.map((f) => [f.name, f])),
    pool,
    memoryLimitBytes: setup.memoryLimitBytes,
    outputLimitBytes: setup.outputLimitBytes,
    retryAfterSeconds: 1,
  };
  const served = new ServedLog(send);
  const direct = setup.direct && serveDirect(setup.direct, ctx, served);
  const running = new Map<number, AbortController>();
  const arriving = new Assembler<CallMessage>();
  // Large bodies grow this process's heap and its isolates'; once idle, they are collected so the memory goes back.
  let collections: NodeJS.Timeout[] = [];
  const collectWhenIdle = () => {
    collections.forEach(clearTimeout);
    collections = IDLE_COLLECT_MS.map((ms) =>
      setTimeout(() => {
        if (running.size > 0) return;
        collectGarbage();
        void pool.collectGarbage();
      }, ms),
    );
  };
  const call = async (msg: CallMessage) => {
    const abort = new AbortController();
    running.set(msg.id, abort);
    try {
      reply(await (msg.compareWith ? runShadowCall(ctx, { ...msg, compareWith: msg.compareWith }, abort.signal) : runCall(ctx, msg, abort.signal)));
    } catch (error) {
      // A bug in this trusted code, not the guest's doing: the call fails, the executor goes on.
      send(errorReply(msg.id, new ApiError(500, "internal", `the executor failed on this call: ${(error as Error).message}`)));
    } finally {
      running.delete(msg.id);
      if (msg.input.format !== "values" && msg.input.body.byteLength >= LARGE_BODY_BYTES) collectWhenIdle();
    }
  };

  onHostMessage = (msg: HostMessage) => {
    switch (msg.type) {
      case "call": {
        if (msg.bodyBytes === undefined || msg.input.format === "values") return void call(msg);
        // The time its parts take to arrive counts against its deadline.
        const receivedAt = performance.now();
        arriving.start(msg.id, msg, msg.input.body, msg.bodyBytes, (m, body) => ({
          ...m,
          input: { format: m.input.format as "json" | "cbor", body },
          bodyBytes: undefined,
          timeLeftMs: m.timeLeftMs - (performance.now() - receivedAt),
        }));
        break;
      }
      case "part": {
        const whole = arriving.add(msg);
        if (whole) void call(whole);
        break;
      }
      case "cancel": {
        const dropped = arriving.drop(msg.id);
        if (dropped) send(errorReply(msg.id, deadlineExceeded(ctx.env, dropped.fn, dropped.deadlineMs, false)));
        else running.get(msg.id)?.abort();
        break;
      }
      case "state":
        send({ type: "state", id: msg.id, state: { ...pool.state(), rssBytes: process.memoryUsage.rss() } });
        break;
      case "stop":
        void (async () => {
          await direct?.close();
          await pool.drain();
          // The last report reaches the host before the process ends.
          served.flush(() => process.exit(0));
        })();
        break;
    }
  };
  send({ type: "ready" });
}

/** The host is trusted: its frames are bounded only by what a frame can say (the setup carries the whole version). */
const MAX_HOST_FRAME_BYTES = 2 ** 32 - 1;
/** The first message is the setup; `start` then takes the channel over. */
let onHostMessage = (msg: HostMessage): void => {
  if (msg.type !== "setup") return fatal(`expected the setup message first, got '${msg.type}'`);
  onHostMessage = () => undefined;
  start(msg).catch((error: unknown) => {
    send({ type: "failed", message: cut(error instanceof Error ? error.message : String(error), MAX_ERROR_CHARS) }, () => process.exit(1));
  });
};
const socket = new Socket({ fd: CHANNEL_FD, readable: true, writable: true });
const channel = new Channel<HostMessage, ExecutorMessage>(socket, MAX_HOST_FRAME_BYTES, (msg) => onHostMessage(msg), (reason) => fatal(`the host's message: ${reason}`));
// The host holds the other end: when it is gone, so is the reason to run.
socket.on("close", () => process.exit(0));
