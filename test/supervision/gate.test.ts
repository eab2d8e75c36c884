/** The line in front of an executor on its own, in milliseconds. */
import { describe, expect, it } from "vitest";
import { Gate } from "../../supervision/gate.ts";

const later = (ms = 60_000) => performance.now() + ms;

describe("the line in front of an executor", () => {
  it("runs one call per slot, lines up the rest in order, and admits no more than slots + queue", async () => {
    const gate = new Gate(1, 2);
    const tickets = [gate.admit()!, gate.admit()!, gate.admit()!];
    expect(gate.admit()).toBeUndefined();
    expect(await tickets[0]!.slot(later())).toBe("ready");
    const order: number[] = [];
    const waiting = [1, 2].map((i) => tickets[i]!.slot(later()).then((outcome) => order.push(i) && outcome));
    expect(gate.state()).toEqual({ admitted: 3, running: 1, queued: 2 });
    tickets[0]!.release();
    await waiting[0];
    tickets[1]!.release();
    expect(await Promise.all(waiting)).toEqual(["ready", "ready"]);
    expect(order).toEqual([1, 2]);
    tickets[2]!.release();
    expect(gate.state()).toEqual({ admitted: 0, running: 0, queued: 0 });
  });

  it("sends more calls than instances when asked to, without admitting more", async () => {
    const gate = new Gate(1, 2, 2);
    const tickets = [gate.admit()!, gate.admit()!, gate.admit()!];
    expect(gate.admit()).toBeUndefined();
    expect(await Promise.all([tickets[0]!.slot(later()), tickets[1]!.slot(later())])).toEqual(["ready", "ready"]);
    const third = tickets[2]!.slot(later());
    expect(gate.state()).toEqual({ admitted: 3, running: 2, queued: 1 });
    tickets[0]!.release();
    expect(await third).toBe("ready");
  });

  it("lets only small calls wait in the executor: a large one waits for a free instance, and the line behind it with it", async () => {
    const gate = new Gate(1, 3, 2);
    const [running, large, small] = [gate.admit()!, gate.admit()!, gate.admit()!];
    expect(await running.slot(later())).toBe("ready");
    let largeReady = false;
    const largeSlot = large.slot(later(), undefined, false).then((o) => ((largeReady = true), o));
    const smallSlot = small.slot(later());
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(largeReady).toBe(false);
    expect(gate.state()).toEqual({ admitted: 3, running: 1, queued: 2 });
    running.release();
    expect(await Promise.all([largeSlot, smallSlot])).toEqual(["ready", "ready"]);
    expect(gate.state()).toEqual({ admitted: 2, running: 2, queued: 0 });
  });

  it("lets a waiting call leave at its deadline or when its caller is gone, and frees its place", async () => {
    const gate = new Gate(1, 4);
    const running = gate.admit()!;
    await running.slot(later());
    const late = gate.admit()!;
    expect(await late.slot(later(5))).toBe("timeout");
    const abort = new AbortController();
    const gone = gate.admit()!;
    const leaving = gone.slot(later(), abort.signal);
    abort.abort();
    expect(await leaving).toBe("cancelled");
    late.release();
    gone.release();
    expect(gate.state()).toEqual({ admitted: 1, running: 1, queued: 0 });
  });

  it("says when every admitted call has finished", async () => {
    const gate = new Gate(2, 2);
    const ticket = gate.admit()!;
    let idle = false;
    const drained = gate.idle().then(() => (idle = true));
    await Promise.resolve();
    expect(idle).toBe(false);
    ticket.release();
    await drained;
    expect(idle).toBe(true);
  });
});
