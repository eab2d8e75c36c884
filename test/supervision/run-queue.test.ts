// What the kernel says a process waited for a CPU: nothing while it sleeps, most of the time while it runs at a
// lower priority beside a busy process on the same CPU.
import { afterEach, expect, it } from "vitest";
import type { ChildProcess } from "node:child_process";
import { runQueueWait } from "../../supervision/run-queue.ts";
import { onCpu0 as start } from "./cpu.ts";

const started: ChildProcess[] = [];
afterEach(() => started.splice(0).forEach((child) => child.kill("SIGKILL")));

/** A process on CPU 0 (cpu.ts), ended after the test. */
function onCpu0(niceness?: number, script?: string): ChildProcess {
  const child = start(niceness, script);
  started.push(child);
  return child;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

it("is about nothing for a process that sleeps", async () => {
  const sleeper = onCpu0(0, "setInterval(() => {}, 1000)");
  await sleep(300);
  const waited = runQueueWait(sleeper.pid!);
  await sleep(500);
  expect(waited()).toBeLessThan(50);
});

it("is most of the time for a process at a lower priority beside a busy one on its CPU", async () => {
  onCpu0();
  // At niceness 10 it runs about a tenth of the time, often enough for the kernel to add each wait soon (it does
  // when the thread gets the CPU).
  const starved = onCpu0(10);
  await sleep(300);
  const waited = runQueueWait(starved.pid!);
  const from = performance.now();
  await sleep(600);
  const elapsed = performance.now() - from;
  expect(waited()).toBeGreaterThan(elapsed / 2);
});

it("is 0 for a process that does not exist", () => {
  expect(runQueueWait(2 ** 22 + 1)()).toBe(0);
});
