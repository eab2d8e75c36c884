/**
 * One executor process as the host sees it: started with a verified
 * version, sent calls, and answered once per call. The host keeps each
 * caller's deadline itself: a call the executor has not answered a little
 * after its deadline is answered 504 here, and an executor that still has
 * not finished it well after is presumed stuck and killed (timed so that
 * neither the host's own stalls nor the executor's waits for a CPU count
 * against it: host-time.ts). What the executor says is checked before it is
 * used (executor-messages.ts): an executor that breaks the protocol is ended.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { readFile } from "node:fs/promises";
import { once } from "node:events";
import type { Socket } from "node:net";
import type { VersionArtifacts } from "../runtime/version/read-version.ts";
import type { EngineKind } from "../runtime/engines/index.ts";
import type { NonFiniteForm } from "../runtime/codec.ts";
import type { CallInput, CallReply, CurrentAnswer, DirectSetup, ExecutorMessage, ExecutorSetup, ExecutorState, HostMessage, ServedReport } from "../executor/protocol.ts";
import type { DirectListener } from "./direct-socket.ts";
import type { EngineReport } from "./engine.ts";
import type { ExecutorCode } from "./code.ts";
import type { Sandbox } from "./sandbox.ts";
import { LargeBatchPriority } from "./priority.ts";
import { watchMemory } from "./memory-watch.ts";
import { Assembler, firstPart, sendRest } from "../executor/parts.ts";
import { Channel, CHANNEL_FD } from "../executor/channel.ts";
import { parseExecutorMessage, ProtocolViolation } from "./executor-messages.ts";
import { readStderrLines } from "./stderr-lines.ts";
import { DIRECT_FD } from "./launch.ts";
import { afterLoopTurn, afterTimeToRun, type HostTimer } from "./host-time.ts";

/** After the deadline, how long the executor's own 504 may take to arrive before the host answers. */
export const DEADLINE_SLACK_MS = 10;
/** After the deadline, how long an executor that could run may take to finish a call before it is presumed stuck. */
export const STUCK_AFTER_MS = 2000;
/** How long a starting executor may take to warm its instances. */
const START_TIMEOUT_MS = 120_000;

export interface ExecutorOptions {
  version: VersionArtifacts;
  engine: EngineReport;
  size: number;
  maxQueue: number;
  memoryLimitBytes: number;
  outputLimitBytes: number;
  code: ExecutorCode;
  sandbox: Sandbox;
  /** Scheduling niceness (default: the sandbox's, 10). */
  niceness?: number;
  /** The executor's own socket, with the rules it serves callers by; reports of what it served go to `onServed`. */
  direct?: { listener: DirectListener; rules: Omit<DirectSetup, "fd"> };
  onServed?(report: ServedReport): void;
  /** Instance events, stderr lines, a broken protocol (the executor is then ended), and the end of the process (after ready). */
  onMessage(msg: Extract<ExecutorMessage, { type: "instance" }>): void;
  onStderr(line: string): void;
  onViolation(reason: string): void;
  onExit(reason: string): void;
}

/** The largest encoded answer an executor may send for a call: its output limit, room for encoding and row errors. */
const maxAnswerBytes = (outputLimitBytes: number) => 2 * outputLimitBytes + 2 ** 20;

interface Pending {
  resolve(reply: CallReply | "deadline" | "lost"): void;
  /** The most rows the call can have: those sent as values, or one per byte of its body (no row takes less). */
  rowsAtMost: number;
  answered: boolean;
  /** One timer at a time: the deadline's, then (answered late) the one that judges the executor stuck. */
  timer: HostTimer;
  /** Ends a large call's hold on the executor's priority (once the executor has finished it, not at the deadline). */
  finished(): void;
}

export interface ExecutorCallOptions {
  /** Aborted when the caller is gone: the executor is told to drop the call. */
  signal?: AbortSignal;
  compareWith?: CurrentAnswer;
  /** A large batch: the executor runs below every other process while it has one (see priority.ts). */
  large?: boolean;
  /** How a JSON answer writes NaN and ±Infinity (null unless the caller asked for text). */
  nonFinite?: NonFiniteForm;
}

/** A process's children, from /proc (empty where that is not available). */
async function childrenOf(pid: number): Promise<number[]> {
  const text = await readFile(`/proc/${pid}/task/${pid}/children`, "utf8").catch(() => "");
  return text.split(/\s+/).filter(Boolean).map(Number);
}

export class Executor {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly states = new Map<number, (state: ExecutorState | undefined) => void>();
  /** Replies whose large bodies are still arriving in parts. */
  private readonly replies = new Assembler<CallReply>();
  private started?: { resolve(): void; reject(error: Error): void };
  private exitReason?: string;
  private violation?: string;
  /** Why the host killed it for its memory (memory-watch.ts), if it did. */
  private overMemory?: string;
  private readonly channel: Channel<unknown, HostMessage>;

  /** The executor's own process (the launcher's child when it runs in namespaces). */
  pid?: number;
  private priority?: LargeBatchPriority;

  private constructor(
    private readonly child: ChildProcess,
    readonly engine: EngineReport,
    opts: ExecutorOptions,
  ) {
    this.pid = child.pid;
    const bounds = {
      maxBodyBytes: maxAnswerBytes(opts.outputLimitBytes),
      rowsAtMost: (id: number) => this.pending.get(id)?.rowsAtMost ?? 0,
      functions: new Set(opts.version.manifest.functions.map((f) => f.name)),
    };
    this.channel = new Channel<unknown, HostMessage>(
      child.stdio[CHANNEL_FD] as Socket,
      bounds.maxBodyBytes + 2 ** 20,
      (raw) => this.receive(parseExecutorMessage(raw, bounds), opts),
      (reason) => this.violated(reason, opts),
    );
  }

  /** Its niceness, and the one it drops to while it runs a large batch (absent where it cannot come back up). */
  get scheduling(): { niceness?: number; largeBatchNiceness?: number } {
    return this.priority?.scheduling ?? {};
  }

  get exited(): boolean {
    return this.exitReason !== undefined;
  }

  /** How the process ended ("was killed by SIGKILL"), once it has. */
  get exitedBecause(): string | undefined {
    return this.exitReason;
  }

  static async start(opts: ExecutorOptions): Promise<Executor> {
    const running: EngineKind = opts.engine.running;
    const { direct } = opts;
    const { command, args, options } = opts.sandbox.launch(running, [opts.code.entry], { niceness: opts.niceness, directFd: direct?.listener.fd });
    const child = spawn(command, args, options);
    direct?.listener.handedOver();
    const executor = new Executor(child, opts.engine, opts);
    readStderrLines(child.stderr!, opts.onStderr);
    const exited = once(child, "exit").then(([code, signal]) => {
      executor.exitReason = executor.violation
        ? `broke the protocol (${executor.violation}) and was ended`
        : (executor.overMemory ?? (signal ? `was killed by ${signal}` : `exited with code ${code}`));
      executor.lose();
      return executor.exitReason;
    });
    child.once("error", () => undefined); // reported through "exit"

    const setup: ExecutorSetup = {
      type: "setup",
      version: opts.version,
      engine: running,
      size: opts.size,
      maxQueue: opts.maxQueue,
      memoryLimitBytes: opts.memoryLimitBytes,
      outputLimitBytes: opts.outputLimitBytes,
      componentWorker: opts.code.componentWorker,
      ...(direct ? { direct: { ...direct.rules, fd: DIRECT_FD } } : {}),
    };
    executor.post(setup);
    const ready = new Promise<void>((resolve, reject) => {
      executor.started = { resolve, reject };
    });
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`it did not warm its instances within ${START_TIMEOUT_MS / 1000} s`)), START_TIMEOUT_MS);
    });
    try {
      await Promise.race([ready, exited.then((reason) => Promise.reject(new Error(`its executor ${reason} while starting`))), timeout]);
    } catch (error) {
      executor.kill();
      throw error;
    } finally {
      clearTimeout(timer);
    }
    void exited.then((reason) => opts.onExit(reason));
    // Under namespaces the launcher stays as the parent of the executor's own process.
    executor.pid = (await childrenOf(child.pid!))[0] ?? child.pid;
    if (executor.pid !== undefined) executor.priority = new LargeBatchPriority(executor.pid);
    const watch = watchMemory(executor.pid!, opts.sandbox.limits.memoryBytes, (reason) => {
      executor.overMemory = `${reason} and was killed`;
      executor.kill();
    });
    void exited.then(() => watch.stop());
    return executor;
  }

  /** One checked message; one that does not fit what the host asked for throws, and the executor is ended. */
  private receive(msg: ExecutorMessage, opts: ExecutorOptions): void {
    switch (msg.type) {
      case "ready":
      case "failed": {
        const started = this.started;
        if (!started) throw new ProtocolViolation(`'${msg.type}' after the executor had started`);
        this.started = undefined;
        return msg.type === "ready" ? started.resolve() : started.reject(new Error(msg.message));
      }
      case "done":
        if (!this.pending.has(msg.id) || this.replies.has(msg.id)) throw new ProtocolViolation(`an answer to call ${msg.id}, which is not waiting for one`);
        if (msg.ok && msg.bodyBytes !== undefined && msg.body instanceof Uint8Array) {
          return this.replies.start(msg.id, msg, msg.body, msg.bodyBytes, (reply, body) => ({ ...reply, body, bodyBytes: undefined }) as CallReply);
        }
        return this.settle(msg.id, msg);
      case "part": {
        if (!this.replies.has(msg.id)) throw new ProtocolViolation(`a part of call ${msg.id}, whose answer is not arriving`);
        const whole = this.replies.add(msg);
        return whole && this.settle(whole.id, whole);
      }
      case "state":
        if (msg.id >= this.nextId) throw new ProtocolViolation(`a state the host never asked for (${msg.id})`);
        this.states.get(msg.id)?.(msg.state);
        this.states.delete(msg.id);
        return;
      case "instance":
        return opts.onMessage(msg);
      case "served":
        if (!opts.direct) throw new ProtocolViolation("a report of calls served on a socket it was not given");
        return opts.onServed?.(msg);
    }
  }

  /** The executor said something the host cannot take: it is ended (and restarted by its supervisor). */
  private violated(reason: string, opts: ExecutorOptions): void {
    if (this.violation !== undefined) return;
    this.violation = reason;
    opts.onViolation(reason);
    this.started?.reject(new Error(`it broke the protocol while starting (${reason})`));
    this.kill();
  }

  /**
   * Sends one call; resolves with the executor's reply, "deadline" when it has
   * not answered by the deadline (plus slack), or "lost" if the process ended first.
   */
  call(fn: string, input: CallInput, deadline: { deadlineMs: number; timeLeftMs: number }, opts: ExecutorCallOptions = {}): Promise<CallReply | "deadline" | "lost"> {
    const { signal, compareWith, large, nonFinite } = opts;
    if (this.exited) return Promise.resolve("lost");
    const id = this.nextId++;
    return new Promise((resolve) => {
      const finished = large && this.priority ? this.priority.enter() : () => undefined;
      const rowsAtMost = input.format === "values" ? input.rows.length : input.body.byteLength;
      const answerLate = () => {
        if (pending.answered) return;
        pending.answered = true;
        pending.timer = afterTimeToRun(this.pid, STUCK_AFTER_MS - DEADLINE_SLACK_MS, () => this.kill());
        this.post({ type: "cancel", id });
        resolve("deadline");
      };
      const pending: Pending = { resolve, rowsAtMost, answered: false, timer: afterLoopTurn(deadline.timeLeftMs + DEADLINE_SLACK_MS, answerLate), finished };
      signal?.addEventListener("abort", () => this.post({ type: "cancel", id }), { once: true });
      this.pending.set(id, pending);
      const call = { type: "call", id, fn, ...deadline, ...(compareWith ? { compareWith } : {}), ...(nonFinite === "string" ? { nonFinite } : {}) } as const;
      if (input.format === "values") return this.post({ ...call, input });
      const { first, bodyBytes } = firstPart(input.body);
      this.post({ ...call, input: { format: input.format, body: first }, bodyBytes });
      if (bodyBytes !== undefined) void sendRest(id, input.body, (part, written) => this.post(part, written), () => !pending.answered && !signal?.aborted && this.channel.connected);
    });
  }

  /** How the executor's instances are doing (undefined when it does not answer in time). */
  state(timeoutMs = 1000): Promise<ExecutorState | undefined> {
    if (this.exited) return Promise.resolve(undefined);
    const id = this.nextId++;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.states.delete(id);
        resolve(undefined);
      }, timeoutMs);
      this.states.set(id, (state) => {
        clearTimeout(timer);
        resolve(state);
      });
      this.post({ type: "state", id });
    });
  }

  /** Lets the executor finish what it has taken, then waits for it to exit (killed after `graceMs`). */
  async stop(graceMs: number): Promise<void> {
    if (this.exited) return;
    const exit = once(this.child, "exit");
    this.post({ type: "stop" });
    const timer = setTimeout(() => this.kill(), graceMs);
    await exit;
    clearTimeout(timer);
  }

  kill(): void {
    if (!this.exited) this.child.kill("SIGKILL");
  }

  private settle(id: number, reply: CallReply): void {
    const pending = this.pending.get(id);
    if (!pending) return;
    this.pending.delete(id);
    pending.timer.cancel();
    pending.finished();
    if (!pending.answered) {
      pending.answered = true;
      pending.resolve(reply);
    }
  }

  /** The process ended: every call it had is lost. */
  private lose(): void {
    this.priority?.end();
    for (const [id, pending] of this.pending) {
      this.pending.delete(id);
      pending.timer.cancel();
      pending.finished();
      if (!pending.answered) pending.resolve("lost");
    }
    for (const resolve of this.states.values()) resolve(undefined);
    this.states.clear();
    this.replies.clear();
  }

  /** Sends a message; `written` runs once it is written (or could not be: the process is ending, and "exit" settles what is pending). */
  private post(msg: HostMessage, written: () => void = () => undefined): void {
    if (this.exited) return written();
    this.channel.send(msg, written);
  }
}
