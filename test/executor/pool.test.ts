/**
 * The pool's logic on its own: instances are made by a factory the test
 * controls (scripted instances that answer when told), so every case runs in
 * milliseconds. The real engines behind it are covered end to end elsewhere.
 */
import { describe, expect, it } from "vitest";
import { Pool, type PoolEvents, type PoolResult } from "../../executor/pool/pool.ts";
import type { CallOutcome, Instance, InstanceFactory, RestartCause } from "../../runtime/instance.ts";

/** An instance whose calls wait until the test settles them. */
class ScriptedInstance implements Instance {
  static made = 0;
  readonly id = ++ScriptedInstance.made;
  calls: Array<{ fn: string; batch: string; settle: (outcome: CallOutcome) => void; fail: (error: Error) => void }> = [];
  stopped = false;
  constructor(readonly exited: () => void) {}
  call(fn: string, batch: string): Promise<CallOutcome> {
    return new Promise((settle, fail) => this.calls.push({ fn, batch, settle, fail }));
  }
  async stop(): Promise<void> {
    this.stopped = true;
  }
  collections: Array<{ done: () => void; fail: (error: Error) => void }> = [];
  collectGarbage(): Promise<void> {
    return new Promise((done, fail) => this.collections.push({ done, fail }));
  }
  /** Answers the call it is running. */
  answer(outcome: CallOutcome = { ok: true, envelope: `{"from":${this.id}}` }): void {
    this.calls.shift()!.settle(outcome);
  }
}

interface Harness {
  pool: Pool;
  instances: ScriptedInstance[];
  events: { started: number; restarted: RestartCause[]; startFailed: number; requestPath: number };
  /** Makes the next `n` starts fail. */
  failStarts(n: number): void;
}

function harness(size: number, maxQueue: number): Harness {
  const instances: ScriptedInstance[] = [];
  const events = { started: 0, restarted: [] as RestartCause[], startFailed: 0, requestPath: 0 };
  let failing = 0;
  const factory: InstanceFactory = async (exited) => {
    if (failing > 0) {
      failing--;
      throw new Error("cannot start");
    }
    const instance = new ScriptedInstance(exited);
    instances.push(instance);
    return instance;
  };
  const poolEvents: PoolEvents = {
    instanceStarted: () => events.started++,
    instanceRestarted: (cause) => events.restarted.push(cause),
    instanceStartFailed: () => events.startFailed++,
    requestPathInstantiation: () => events.requestPath++,
  };
  return { pool: new Pool(factory, { size, maxQueue }, poolEvents), instances, events, failStarts: (n) => (failing = n) };
}

const later = (ms = 60_000) => performance.now() + ms;
const tick = () => new Promise((resolve) => setImmediate(resolve));
const busy = (h: Harness) => h.instances.filter((i) => i.calls.length > 0);

describe("the pool", () => {
  it("starts its instances warm and hands each call an idle one", async () => {
    const h = harness(2, 4);
    await h.pool.start();
    expect(h.pool.state()).toEqual({ size: 2, idle: 2, busy: 0, starting: 0, queued: 0 });
    const a = h.pool.call("f", "[1]", later());
    const b = h.pool.call("f", "[2]", later());
    await tick();
    expect(h.pool.state()).toMatchObject({ idle: 0, busy: 2 });
    expect(busy(h).map((i) => i.calls[0]!.batch).sort()).toEqual(["[1]", "[2]"]);
    for (const i of busy(h)) i.answer();
    expect((await a).ok && (await b).ok).toBe(true);
    expect(h.pool.state()).toMatchObject({ idle: 2, busy: 0 });
    expect(h.events).toMatchObject({ started: 2, requestPath: 0 });
  });

  it("queues past its instances, in order, and refuses past the queue bound", async () => {
    const h = harness(1, 2);
    await h.pool.start();
    const first = h.pool.call("f", "a", later());
    const second = h.pool.call("f", "b", later());
    const third = h.pool.call("f", "c", later());
    expect(await h.pool.call("f", "d", later())).toEqual({ ok: false, kind: "overloaded" });
    await tick();
    expect(h.pool.state()).toMatchObject({ busy: 1, queued: 2 });
    const [instance] = h.instances;
    for (const want of ["a", "b", "c"]) {
      await tick();
      expect(instance!.calls[0]!.batch).toBe(want);
      instance!.answer();
    }
    await Promise.all([first, second, third]);
    expect(h.events.requestPath).toBe(0);
  });

  it("times out a queued call without touching any instance, and a running one by replacing its instance", async () => {
    const h = harness(1, 4);
    await h.pool.start();
    const running = h.pool.call("f", "a", later(30));
    const queued = h.pool.call("f", "b", later(10));
    expect(await queued).toEqual({ ok: false, kind: "timeout", running: false });
    expect(await running).toEqual({ ok: false, kind: "timeout", running: true });
    expect(h.instances[0]!.stopped).toBe(true);
    expect(h.events.restarted).toEqual(["timeout"]);
    await tick();
    expect(h.instances).toHaveLength(2);
    expect(h.pool.state()).toMatchObject({ idle: 1, busy: 0, queued: 0 });
  });

  it("collects its idle instances one at a time, each busy meanwhile, and replaces one that fails to", async () => {
    const h = harness(2, 4);
    await h.pool.start();
    const [a, b] = h.instances as [ScriptedInstance, ScriptedInstance];
    const collecting = h.pool.collectGarbage();
    await tick();
    const [first, second] = a.collections.length ? [a, b] : [b, a];
    expect([first.collections.length, second.collections.length]).toEqual([1, 0]);
    expect(h.pool.state()).toMatchObject({ idle: 1, busy: 1 });
    // A call meanwhile takes the instance that is not collecting.
    const call = h.pool.call("f", "x", later());
    await tick();
    expect(second.calls).toHaveLength(1);
    first.collections.shift()!.done();
    await tick();
    // The next is busy with the call: it is not collected under it.
    expect(second.collections).toHaveLength(0);
    second.answer();
    await call;
    await collecting;

    const again = h.pool.collectGarbage();
    await tick();
    const failing = [a, b].find((i) => i.collections.length === 1)!;
    failing.collections.shift()!.fail(new Error("the isolate is gone"));
    await tick();
    expect(failing.stopped).toBe(true);
    expect(h.events.restarted).toEqual(["crash"]);
    const other = [a, b].find((i) => i !== failing)!;
    other.collections.shift()?.done();
    await again;
    await tick();
    expect(h.pool.state()).toMatchObject({ idle: 2, busy: 0 });
  });

  it("takes a cancelled call out of the queue before it starts", async () => {
    const h = harness(1, 4);
    await h.pool.start();
    const running = h.pool.call("f", "a", later());
    const abort = new AbortController();
    const cancelled = h.pool.call("f", "b", later(), abort.signal);
    await tick();
    abort.abort();
    expect(await cancelled).toEqual({ ok: false, kind: "cancelled" });
    expect(h.pool.state().queued).toBe(0);
    h.instances[0]!.answer();
    await running;
    // Already aborted: never queued at all.
    expect(await h.pool.call("f", "c", later(), AbortSignal.abort())).toEqual({ ok: false, kind: "cancelled" });
    expect(h.instances[0]!.calls).toEqual([]);
  });

  it("replaces an instance that trapped or ran out of memory, keeps one whose guest only rejected the batch", async () => {
    const h = harness(1, 4);
    await h.pool.start();
    const outcomes: CallOutcome[] = [
      { ok: false, kind: "guest", message: "bad batch" },
      { ok: false, kind: "trap", message: "unreachable" },
      { ok: false, kind: "memory", message: "out of memory" },
    ];
    const results: PoolResult[] = [];
    for (const outcome of outcomes) {
      const call = h.pool.call("f", "x", later());
      await tick();
      h.instances.at(-1)!.answer(outcome);
      results.push(await call);
      await tick();
    }
    expect(results).toEqual(outcomes);
    expect(h.events.restarted).toEqual(["trap", "memory"]);
    expect(h.instances.map((i) => i.stopped)).toEqual([true, true, false]);
  });

  it("turns an instance that died mid-call into a trap, and replaces an idle one that died", async () => {
    const h = harness(2, 4);
    await h.pool.start();
    const call = h.pool.call("f", "x", later());
    await tick();
    busy(h)[0]!.calls[0]!.fail(new Error("the instance's thread exited during the call"));
    expect(await call).toEqual({ ok: false, kind: "trap", message: "the instance's thread exited during the call" });
    const idle = h.instances.find((i) => !i.stopped && i.calls.length === 0)!;
    idle.exited();
    await tick();
    expect(h.events.restarted).toEqual(["crash", "crash"]);
    expect(h.pool.state()).toMatchObject({ idle: 2, starting: 0 });
  });

  it("retries failed starts in the background, and counts the call that had to wait for one", async () => {
    const h = harness(1, 4);
    await h.pool.start();
    h.failStarts(1);
    const call = h.pool.call("f", "x", later());
    await tick();
    h.instances[0]!.answer({ ok: false, kind: "trap", message: "boom" });
    await call;
    // The replacement fails once, then comes up after the first backoff; a call waits for it meanwhile.
    const waiting = h.pool.call("f", "y", later());
    await tick();
    expect(h.events.startFailed).toBe(1);
    expect(h.events.requestPath).toBe(1);
    await new Promise((resolve) => setTimeout(resolve, 150));
    await tick();
    h.instances.at(-1)!.answer();
    expect((await waiting).ok).toBe(true);
  });

  it("drains: finishes running and queued calls, then stops every instance", async () => {
    const h = harness(1, 4);
    await h.pool.start();
    const running = h.pool.call("f", "a", later());
    const queued = h.pool.call("f", "b", later());
    const drained = h.pool.drain();
    await tick();
    h.instances[0]!.answer();
    await tick();
    h.instances[0]!.answer();
    await drained;
    expect((await running).ok && (await queued).ok).toBe(true);
    expect(h.instances[0]!.stopped).toBe(true);
    expect(await h.pool.call("f", "c", later())).toEqual({ ok: false, kind: "closed" });
  });
});
