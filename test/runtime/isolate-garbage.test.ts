/**
 * An isolate's garbage, collected from outside the guest's reach: a large
 * batch leaves the isolate's heap grown, collectGarbage (what an executor
 * runs once idle after large bodies) gives it back, and no guest ever sees
 * V8's `gc`, even in isolates started at the same moment.
 */
import { afterAll, describe, expect, it } from "vitest";
import { startIsolate, type IsolateGuest } from "../../runtime/v8/isolate.ts";

const BUNDLE = `
export function describe() { return "{}"; }
export function reseed() {}
export function call(fn, batch) {
  if (fn === "sees-gc") return typeof gc;
  const rows = JSON.parse(batch).map((row) => ({ ...row, length: row.text.length }));
  return JSON.stringify(rows).length + " bytes";
}`;
const LIMIT = 256 * 2 ** 20;
const batch = JSON.stringify(Array.from({ length: 100_000 }, (_, i) => ({ id: i, text: `row ${i}, padded to a realistic width` })));

const started: IsolateGuest[] = [];
const start = async () => {
  const guest = await startIsolate(BUNDLE, { memoryLimitBytes: LIMIT });
  started.push(guest);
  return guest;
};
afterAll(() => started.forEach((guest) => guest.dispose()));

describe("an isolate's garbage", () => {
  it("is collected on request, giving back what a large batch left", async () => {
    const guest = await start();
    for (let i = 0; i < 3; i++) expect(await guest.call("rows", batch)).toMatch(/^\d+ bytes$/);
    const grown = guest.heapBytes();
    await guest.collectGarbage();
    const collected = guest.heapBytes();
    expect(grown).toBeGreaterThan(8 * 2 ** 20);
    expect(collected).toBeLessThan(grown / 4);
    // The isolate goes on serving.
    expect(await guest.call("rows", batch)).toMatch(/^\d+ bytes$/);
  });

  it("is collected by a `gc` no guest can reach, however many isolates start at once", async () => {
    const guests = await Promise.all(Array.from({ length: 6 }, start));
    expect(await Promise.all(guests.map((guest) => guest.call("sees-gc", "")))).toEqual(Array(6).fill("undefined"));
  });
});
