/**
 * Every clock a guest can read reads the fixed one: on each engine (the three
 * JS ones and CPython), through the real host, a guest reads each source
 * twice, some real milliseconds apart. A source reads exactly what it reads at
 * the fixed clock (the Unix epoch), or nothing at all; never the real time,
 * and never something that changed between the two calls. A guest that waits
 * for its clock to move runs to its deadline, like any runaway call.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { rm } from "node:fs/promises";
import { join } from "node:path";
import type { Store } from "../../builds/store.ts";
import { createEnvironment } from "../../builds/env-create.ts";
import { deploy } from "../../builds/deploy.ts";
import { deployModule, tempStore } from "../host/helpers.ts";
import { SECURITY_FIXTURES, watchedHost, type Watched } from "./helpers.ts";

const JS_ENGINES = ["v8", "quickjs", "starlingmonkey"] as const;
type JsEngine = (typeof JS_ENGINES)[number];
const ALL: JsEngine[] = [...JS_ENGINES];
const NONE: JsEngine[] = [];

/** Which engines read a value from each source (it must be the fixed one); on the others it reads nothing. */
const JS_SOURCES: Record<string, JsEngine[]> = {
  "Date.now()": ALL,
  "the engine's own Date.now": ALL,
  "new Date()": ALL,
  "Date()": ALL,
  "new date.constructor()": ALL,
  "a subclass of Date": ALL,
  "Reflect.construct(Date, [])": ALL,
  "Date.parse without a year": ["v8", "quickjs"],
  "new Date().toString()": ALL,
  "new Date().toLocaleString()": ALL,
  "the time zone offset": ALL,
  "performance.now()": ALL,
  "performance.timeOrigin": ALL,
  "performance.mark()": NONE,
  "performance.measure()": NONE,
  "node:perf_hooks performance.now()": ALL,
  "node:perf_hooks performance.timeOrigin": ALL,
  "node:perf_hooks performance.mark()": ALL,
  "node:process hrtime()": ALL,
  "node:process hrtime.bigint()": ALL,
  "node:process uptime()": ALL,
  "process.hrtime (global)": NONE,
  "node:os uptime()": ALL,
  "Intl.DateTimeFormat format()": ["v8"],
  "Intl.DateTimeFormat format, detached": ["v8"],
  "Intl.DateTimeFormat formatToParts()": ["v8"],
  "Intl.DateTimeFormat formatRange() without dates": NONE,
  "Intl.DateTimeFormat formatRangeToParts() without dates": NONE,
  "Intl.DateTimeFormat time zone": ["v8"],
  "Intl.RelativeTimeFormat": ["v8"],
  "Temporal.Now": NONE,
  "setTimeout, setInterval, setImmediate": ALL,
  "AbortSignal.timeout": ["starlingmonkey"],
  "Atomics.wait with a timeout": NONE,
  "Atomics.waitAsync with a timeout": NONE,
  "console.time and timeEnd": NONE,
  "crypto.randomUUID": NONE,
  "node:crypto randomUUID": NONE,
  "Event timeStamp": ["starlingmonkey"],
  "File lastModified": ["starlingmonkey"],
  "File lastModified, given": ["starlingmonkey"],
  "File from FormData": ["starlingmonkey"],
};

/** Which Python sources read a value (it must be the fixed one); the others read nothing. */
const PYTHON_SOURCES: Record<string, boolean> = {
  "time.time()": true,
  "time.time_ns()": true,
  "time.monotonic()": true,
  "time.monotonic_ns()": true,
  "time.perf_counter()": true,
  "time.perf_counter_ns()": true,
  "time.process_time()": true,
  "time.process_time_ns()": true,
  "time.thread_time()": false,
  "time.clock_gettime(CLOCK_REALTIME)": true,
  "time.clock_gettime(CLOCK_MONOTONIC)": true,
  "time.clock_gettime(CLOCK_PROCESS_CPUTIME_ID)": false,
  "time.clock_gettime(CLOCK_THREAD_CPUTIME_ID)": false,
  "time.localtime()": true,
  "time.gmtime()": true,
  "time.ctime()": true,
  "time.strftime()": true,
  "datetime.now()": true,
  "datetime.now(utc)": true,
  "datetime.utcnow()": true,
  "date.today()": true,
  "os.times()": true,
  "uuid.uuid1() time": true,
  "random.Random() seeding": true,
  "logging record times": true,
  "time.sleep()": true,
  "select.select() timeout": true,
  "select.poll() timeout": true,
};
const PYTHON_ENV = "clocks-py";

let store: Store;
let host: Watched;

interface Reading {
  reading: string;
  fixed: string;
}

async function readSource(env: string, source: string): Promise<Reading> {
  const answer = await host.invoke(env, "read", [{ source }]);
  expect(answer.status, JSON.stringify(answer.value)).toBe(200);
  expect(answer.value.errors).toEqual([]);
  return answer.value.rows[0] as Reading;
}

/** Waits until the host's own clock has moved on: the guest's must not have. */
async function letTimePass(): Promise<void> {
  const start = Date.now();
  while (Date.now() <= start + 1) await new Promise((resolve) => setTimeout(resolve, 2));
}

/** Reads a source twice with real time between the calls; both readings must be the same. */
async function readTwice(env: string, source: string): Promise<Reading> {
  const first = await readSource(env, source);
  await letTimePass();
  const second = await readSource(env, source);
  expect(second, `${source} changed between two calls`).toEqual(first);
  return first;
}

/** How many sources read the fixed value and how many nothing, per engine: the figures line. */
const tally: Record<string, { fixed: number; nothing: number }> = {};

function expectFixedOrNothing(engine: string, source: string, { reading, fixed }: Reading, reads: boolean): void {
  tally[engine] ??= { fixed: 0, nothing: 0 };
  tally[engine]![reads ? "fixed" : "nothing"]++;
  if (reads) {
    expect(fixed, `${source} on ${engine}`).not.toMatch(/^nothing/);
    expect(reading, `${source} on ${engine}`).toBe(fixed);
  } else {
    expect(reading, `${source} on ${engine}`).toMatch(/^nothing/);
  }
}

describe("JS engines: every clock reads the fixed one", () => {
  beforeAll(async () => {
    store = await tempStore();
    for (const engine of JS_ENGINES) {
      await createEnvironment({ name: `clocks-${engine}`, requirements: join(SECURITY_FIXTURES, "package.json"), engine, store });
      await deploy({ store, env: `clocks-${engine}`, modulePath: join(SECURITY_FIXTURES, "clocks.ts") });
    }
    host = await watchedHost(store, { pool: { size: 1 } });
  }, 600_000);

  afterAll(async () => {
    console.log(`[vial-figures] clock sources read twice, ms apart, through the host: ${JSON.stringify(Object.fromEntries(JS_ENGINES.map((e) => [e, tally[e]])))}`);
    await host?.close();
    if (store) await rm(store.root, { recursive: true, force: true });
  });

  it("the fixture reads exactly the sources listed here", async () => {
    const answer = await host.invoke("clocks-v8", "sources", [{}]);
    expect(answer.value.rows[0].names).toEqual(Object.keys(JS_SOURCES));
  });

  describe.each(JS_ENGINES)("%s", (engine) => {
    const env = `clocks-${engine}`;
    it.each(Object.keys(JS_SOURCES))("%s", async (source) => {
      expectFixedOrNothing(engine, source, await readTwice(env, source), JS_SOURCES[source]!.includes(engine));
    });

    it("console.timeEnd logs a timing of 0 ms", async () => {
      await readSource(env, "console.time and timeEnd");
      const logged = host.logs.filter((line) => line.includes(`"env":"${env}"`) && line.includes("clock: "));
      expect(logged.length).toBeGreaterThan(0);
      for (const line of logged) expect(line).toContain('"guest":"log: clock: 0ms"');
    });
  });
});

describe("CPython: every clock reads the fixed one", () => {
  beforeAll(async () => {
    store = await tempStore();
    await deployModule(store, PYTHON_ENV, join(SECURITY_FIXTURES, "requirements.txt"), join(SECURITY_FIXTURES, "clocks.py"));
    // A call after a runaway one waits for its instance to be replaced, which on a loaded machine can take longer than
    // the default deadline; the runaway calls set their own.
    host = await watchedHost(store, { pool: { size: 1, deadlineMs: 30_000 } });
  }, 1_200_000); // a cold cache builds the WASI interpreter first

  afterAll(async () => {
    console.log(`[vial-figures] clock sources read twice, ms apart, through the host: ${JSON.stringify({ python: tally.python })}`);
    await host?.close();
    if (store) await rm(store.root, { recursive: true, force: true });
  });

  it("the fixture reads exactly the sources listed here", async () => {
    const answer = await host.invoke(PYTHON_ENV, "sources", [{}]);
    expect(JSON.parse(answer.value.rows[0].names)).toEqual(Object.keys(PYTHON_SOURCES));
  });

  it.each(Object.keys(PYTHON_SOURCES))("%s", async (source) => {
    expectFixedOrNothing("python", source, await readTwice(PYTHON_ENV, source), PYTHON_SOURCES[source]!);
  });

  // The guest's clock never moves: waiting for it is a runaway call, stopped at its deadline; the next call is served.
  it.each(["spin", "event", "queue"])("waiting for the clock to move (%s) ends at the deadline", async (how) => {
    const answer = await host.post(`/v1/invoke/${PYTHON_ENV}/wait_for_the_clock`, { rows: [{ how }] }, { headers: { "x-vial-deadline-ms": "300" } });
    expect(answer.status).toBe(504);
    expect(answer.value.error.code).toBe("deadline_exceeded");
    expect(await readSource(PYTHON_ENV, "time.monotonic()")).toEqual({ reading: "0.0", fixed: "0.0" });
  });
});
