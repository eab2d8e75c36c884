/**
 * An isolate that keeps a grown heap is replaced: V8 does not give a heap back, so an instance past a quarter of
 * its limit (at least 64 MiB) answers, then asks its pool to recycle it. A large call is judged at once; what
 * small calls leave behind, within HEAP_CHECK_INTERVAL calls.
 */
import { afterEach, describe, expect, it } from "vitest";
import { HEAP_CHECK_INTERVAL, IsolateInstance } from "../../runtime/v8/instance.ts";

const BUNDLE = `
const kept = [];
export function describe() { return "{}"; }
export function reseed() {}
export function call(fn, batch) {
  const rows = JSON.parse(batch);
  if (fn === "keep-80-mib") kept.push(new Float64Array(10 * 2 ** 20));
  return JSON.stringify({ rows: rows.map(() => ({})), errors: [] });
}`;
const LIMIT = 256 * 2 ** 20;
const started: IsolateInstance[] = [];
const start = async () => {
  const instance = await IsolateInstance.start(BUNDLE, { memoryLimitBytes: LIMIT, outputLimitBytes: 64 * 2 ** 20 });
  started.push(instance);
  return instance;
};
afterEach(async () => void (await Promise.all(started.splice(0).map((instance) => instance.stop()))));

const rows = (n: number) => JSON.stringify(Array.from({ length: n }, (_, i) => ({ id: i, text: `row ${i}, padded to a realistic width` })));

describe("an isolate's grown heap", () => {
  it("recycles the instance at once after a large call grew it", async () => {
    const instance = await start();
    const large = rows(20_000); // about 1 MiB of JSON
    expect(large.length).toBeGreaterThan(256 * 2 ** 10);
    expect(await instance.call("keep-80-mib", large)).toMatchObject({ ok: true, recycle: true });
  });

  it("recycles an instance that small calls grew, within the check interval", async () => {
    const instance = await start();
    const small = rows(1);
    expect(await instance.call("keep-80-mib", small)).toMatchObject({ ok: true });
    const outcomes = [];
    for (let i = 0; i < HEAP_CHECK_INTERVAL; i++) outcomes.push(await instance.call("small", small));
    expect(outcomes.filter((o) => o.ok && o.recycle)).toHaveLength(1);
  });

  it("keeps an instance whose heap stays small", async () => {
    const instance = await start();
    const outcomes = [];
    for (let i = 0; i < 2 * HEAP_CHECK_INTERVAL; i++) outcomes.push(await instance.call("small", rows(10)));
    expect(outcomes.every((o) => o.ok && !o.recycle)).toBe(true);
  });
});
