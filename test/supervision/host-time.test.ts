// Timers that judge executors do not act on a host's own stall: a timer that fires late looks again first, and
// any timer lets the loop read what arrived before it acts.
import { expect, it } from "vitest";
import { afterHostTime, afterLoopTurn } from "../../supervision/host-time.ts";

const block = (ms: number) => {
  const end = performance.now() + ms;
  while (performance.now() < end);
};

it("runs on time when the loop is free", async () => {
  const started = performance.now();
  const ran = await new Promise<number>((resolve) => afterHostTime(30, () => resolve(performance.now())));
  expect(ran - started).toBeGreaterThanOrEqual(29);
});

it("after a stall, runs only once the loop has had turns to read what came meanwhile", async () => {
  const order: string[] = [];
  const done = new Promise<void>((resolve) =>
    afterHostTime(20, () => {
      order.push("timer");
      resolve();
    }),
  );
  // The loop is blocked past the timer's time; an answer "arrives" meanwhile, to be read on the next turn.
  setTimeout(() => {
    block(300);
    setImmediate(() => setTimeout(() => order.push("answer read"), 0));
  }, 1);
  await done;
  expect(order).toEqual(["answer read", "timer"]);
});

it("a deadline's timer does not wait on a stalling loop, but still reads what came first", async () => {
  const order: string[] = [];
  const done = new Promise<void>((resolve) =>
    afterLoopTurn(20, () => {
      order.push("timer");
      resolve();
    }),
  );
  setTimeout(() => {
    block(300);
    setImmediate(() => order.push("answer read"));
  }, 1);
  await done;
  expect(order).toEqual(["answer read", "timer"]);
});

it("can be cancelled", async () => {
  let ran = false;
  afterHostTime(10, () => (ran = true)).cancel();
  await new Promise((r) => setTimeout(r, 40));
  expect(ran).toBe(false);
});
