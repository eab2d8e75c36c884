/**
 * The host treats an executor as untrusted: a real process that speaks the channel protocol adversarially
 * (what an attacker who took over an executor could send: random, truncated, oversized, out-of-order and
 * forged messages, and bytes that are not frames at all) never throws in the host; a message that breaks the
 * protocol ends that executor, and its calls are answered as lost.
 */
import { afterAll, describe, expect, it } from "vitest";
import fc from "fast-check";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { serialize } from "node:v8";
import { Executor } from "../../supervision/executor.ts";
import type { ExecutorCode } from "../../supervision/code.ts";
import type { Sandbox } from "../../supervision/sandbox.ts";
import { PART_BYTES } from "../../executor/parts.ts";
import { MAX_UNDECLARED_KEYS_PER_ROW } from "../../executor/protocol.ts";
import type { VersionArtifacts } from "../../runtime/version/read-version.ts";
import { ERROR_CODES } from "../../runtime/errors.ts";
import { SECURITY_FIXTURES } from "./helpers.ts";

const HOSTILE = join(SECURITY_FIXTURES, "hostile-executor.mjs");
const OUTPUT_LIMIT = 2 ** 20;
const work = await mkdtemp(join(tmpdir(), "vial-hostile-"));
afterAll(() => rm(work, { recursive: true, force: true }));

type Action = { kind: "message"; value: unknown; answersCall?: boolean } | { kind: "frame" | "bytes"; bytes: Uint8Array } | { kind: "close" };
interface Script {
  readyFirst: boolean;
  actions: Action[];
}

/** No sandbox: the process stands for an executor an attacker already controls. */
const unsandboxed = {
  report: {},
  // The host still watches its memory (memory-watch.ts): a cap no script comes near.
  limits: { memoryBytes: 2 ** 30 },
  launch: (_engine: unknown, [script]: string[]) => ({ command: process.execPath, args: [HOSTILE, script!], options: { env: {}, stdio: ["ignore", "ignore", "pipe", "pipe"] } }),
} as unknown as Sandbox;

interface Outcome {
  started: boolean;
  call?: string;
  violations: string[];
  exit?: string;
}

let scripts = 0;
/** Starts the hostile executor with `script`, sends it one call, and reports what the host made of it. */
async function run(script: Script, deadlineMs = 200): Promise<Outcome> {
  const file = join(work, `script-${scripts++}.bin`);
  await writeFile(file, serialize(script));
  const violations: string[] = [];
  let exit: string | undefined;
  const outcome: Outcome = { started: false, violations };
  const executor = await Executor.start({
    version: { env: "victim", manifest: { functions: [{ name: "f" }] } } as unknown as VersionArtifacts,
    engine: { version: "v8", running: "v8" },
    size: 1,
    maxQueue: 1,
    memoryLimitBytes: 64 * 2 ** 20,
    outputLimitBytes: OUTPUT_LIMIT,
    code: { entry: file, componentWorker: file } as ExecutorCode,
    sandbox: unsandboxed,
    onMessage: () => undefined,
    onStderr: () => undefined,
    onViolation: (reason) => violations.push(reason),
    onExit: (reason) => (exit = reason),
  }).catch(() => undefined);
  if (executor) {
    outcome.started = true;
    const reply = await executor.call("f", { format: "json", body: new TextEncoder().encode('{"rows":[{}]}') }, { deadlineMs, timeLeftMs: deadlineMs });
    outcome.call = typeof reply === "string" ? reply : reply.ok ? "ok" : `error ${reply.error.code}`;
    // What it sends after its answer is read too.
    await new Promise((r) => setTimeout(r, 100));
    executor.kill();
    for (let i = 0; i < 100 && !executor.exited; i++) await new Promise((r) => setTimeout(r, 20));
    expect(executor.exited).toBe(true);
    outcome.exit = exit ?? executor.exitedBecause;
  }
  return outcome;
}

const message = (value: unknown, answersCall = false): Action => ({ kind: "message", value, answersCall });
const validAnswer = (body: Uint8Array) => message({ type: "done", ok: true, body, logs: ["stdout: hi"], guest: { start: 1, end: 2 } }, true);

describe("what the host accepts", () => {
  it("takes a well-formed answer, in one message or in parts", async () => {
    const small = await run({ readyFirst: true, actions: [validAnswer(new Uint8Array([123, 125]))] });
    expect(small).toMatchObject({ started: true, call: "ok", violations: [] });
    const whole = new Uint8Array(PART_BYTES + 10).fill(7);
    const inParts = await run({
      readyFirst: true,
      actions: [message({ type: "done", ok: true, body: whole.subarray(0, PART_BYTES), bodyBytes: whole.byteLength }, true), message({ type: "part", id: 0, bytes: whole.subarray(PART_BYTES) }, true)],
    });
    expect(inParts).toMatchObject({ started: true, call: "ok", violations: [] });
  });

  it("takes a count of undeclared output keys within its call's bound (the call's 13 bytes hold at most 13 rows)", async () => {
    const counted = await run({ readyFirst: true, actions: [message({ type: "done", ok: true, body: new Uint8Array([123, 125]), undeclaredKeys: 13 * MAX_UNDECLARED_KEYS_PER_ROW }, true)] });
    expect(counted).toMatchObject({ started: true, call: "ok", violations: [] });
  });
});

describe("what ends an executor", () => {
  const cases: Array<[string, Action[], string?]> = [
    ["a frame that does not deserialize", [{ kind: "frame", bytes: new Uint8Array([0xff, 0x0f, 0x6f, 0x7b]) }]],
    ["a length of 4 GiB", [{ kind: "bytes", bytes: new Uint8Array([0xff, 0xff, 0xff, 0xf0, 1, 2, 3]) }]],
    ["a message that is not an object", [message(42)]],
    ["an unknown type", [message({ type: "shutdown-host" })]],
    ["an answer to a call never made", [message({ type: "done", id: 999, ok: true, body: new Uint8Array(2) })]],
    ["a second answer to the same call", [validAnswer(new Uint8Array([123, 125])), validAnswer(new Uint8Array([123, 125]))], "ok"],
    ["an answer announcing a negative length", [message({ type: "done", ok: true, body: new Uint8Array(PART_BYTES), bodyBytes: -5 }, true)]],
    ["an answer announcing 8 GiB", [message({ type: "done", ok: true, body: new Uint8Array(PART_BYTES), bodyBytes: 8 * 2 ** 30 }, true)]],
    ["an answer over the output bound", [message({ type: "done", ok: true, body: new Uint8Array(3 * OUTPUT_LIMIT + 2 ** 20) }, true)]],
    ["a part past the length announced", [message({ type: "done", ok: true, body: new Uint8Array(PART_BYTES), bodyBytes: PART_BYTES + 1 }, true), message({ type: "part", id: 0, bytes: new Uint8Array(100) }, true)]],
    ["a part nobody is waiting for", [message({ type: "part", id: 77, bytes: new Uint8Array(10) })]],
    ["an error with a status that is not one", [message({ type: "done", ok: false, error: { status: 200, code: "internal", message: "x" } }, true)]],
    ["an error with a code of its own", [message({ type: "done", ok: false, error: { status: 500, code: "pwned", message: "x" } }, true)]],
    ["an error message of 10 MB", [message({ type: "done", ok: false, error: { status: 500, code: "internal", message: "x".repeat(10_000_000) } }, true)]],
    ["a million log lines", [message({ type: "done", ok: true, body: new Uint8Array(2), logs: Array.from({ length: 1_000_000 }, () => "l") }, true)]],
    ["a restart cause that grows the metrics", [message({ type: "instance", event: "restarted", cause: `cause-${Math.random()}` })]],
    ["a state the host never asked for", [message({ type: "state", id: 5000, state: { size: 1, idle: 1, busy: 0, starting: 0, queued: 0, rssBytes: 1 } })]],
    ["a second ready", [message({ type: "ready" })]],
    ["more undeclared output keys than the call's rows can hold", [message({ type: "done", ok: true, body: new Uint8Array(2), undeclaredKeys: 13 * MAX_UNDECLARED_KEYS_PER_ROW + 1 }, true)]],
    ["a count of undeclared output keys past what a number holds exactly", [message({ type: "done", ok: true, body: new Uint8Array(2), undeclaredKeys: 2 ** 64 }, true)]],
    ["a report of calls served on a socket it was never given", [message({ type: "served", calls: [{ fn: "f", status: 200, ms: 1 }], logs: [] })]],
  ];
  it.each(cases)("%s", async (_what, actions, call = "lost") => {
    const outcome = await run({ readyFirst: true, actions }, 5000);
    expect(outcome.violations).toHaveLength(1);
    expect(outcome.call).toBe(call);
    expect(outcome.exit).toMatch(/broke the protocol/);
  });

  it("refuses to start an executor whose first words break the protocol", async () => {
    const outcome = await run({ readyFirst: false, actions: [message({ type: "done", id: 1, ok: true, body: "not bytes" })] });
    expect(outcome.started).toBe(false);
    expect(outcome.violations).toHaveLength(1);
  });
});

/** Anything V8 can serialize, and values shaped like the protocol's with every field random. */
const anything = fc.anything({ withBigInt: true, withBoxedValues: true, withDate: true, withMap: true, withSet: true, withTypedArray: true, withSparseArray: true, withNullPrototype: true });
const id = fc.oneof(fc.constant(undefined), fc.integer(), fc.double(), fc.constant(1), fc.constant(2));
const shaped = fc.oneof(
  fc.record({ type: fc.constant("done"), id, ok: fc.oneof(fc.boolean(), anything), body: fc.oneof(fc.uint8Array({ maxLength: 2048 }), anything), bodyBytes: fc.oneof(fc.constant(undefined), fc.integer()), logs: fc.oneof(fc.constant(undefined), fc.array(fc.string(), { maxLength: 120 }), anything), guest: fc.oneof(fc.constant(undefined), anything), comparison: fc.oneof(fc.constant(undefined), anything), undeclaredKeys: fc.oneof(fc.constant(undefined), fc.integer(), anything) }, { requiredKeys: ["type"] }),
  fc.record({ type: fc.constant("done"), id, ok: fc.constant(false), error: fc.record({ status: fc.integer(), code: fc.oneof(fc.constantFrom(...ERROR_CODES), fc.string()), message: fc.oneof(fc.string(), anything), retryAfter: fc.oneof(fc.constant(undefined), fc.integer()) }) }),
  fc.record({ type: fc.constant("part"), id, bytes: fc.oneof(fc.uint8Array({ maxLength: 4096 }), anything) }),
  fc.record({ type: fc.constant("state"), id, state: fc.oneof(anything, fc.dictionary(fc.constantFrom("size", "idle", "busy", "starting", "queued", "rssBytes"), fc.oneof(fc.integer(), fc.double()))) }),
  fc.record({ type: fc.constant("instance"), event: fc.oneof(fc.constantFrom("started", "restarted", "start-failed", "request-path-instantiation"), fc.string()), cause: anything, message: anything }),
  fc.record({ type: fc.oneof(fc.constantFrom("ready", "failed"), fc.string()), message: anything }),
);
const action: fc.Arbitrary<Action> = fc.oneof(
  { weight: 4, arbitrary: fc.tuple(shaped, fc.boolean()).map(([value, answersCall]) => message(value, answersCall)) },
  { weight: 1, arbitrary: anything.map((value) => message(value)) },
  { weight: 1, arbitrary: fc.uint8Array({ minLength: 1, maxLength: 64 }).map((bytes): Action => ({ kind: "frame", bytes })) },
  { weight: 1, arbitrary: fc.tuple(fc.integer({ min: 0, max: 2 ** 32 - 1 }), fc.uint8Array({ maxLength: 32 })).map(([length, rest]): Action => ({ kind: "bytes", bytes: new Uint8Array([length >>> 24, (length >>> 16) & 255, (length >>> 8) & 255, length & 255, ...rest]) })) },
  { weight: 1, arbitrary: fc.constant<Action>({ kind: "close" }) },
);

it("survives any script of random, truncated, forged and out-of-order messages, and ends the executor that sends one it cannot take", async () => {
  let violations = 0;
  await fc.assert(
    fc.asyncProperty(fc.record({ readyFirst: fc.boolean(), actions: fc.array(action, { minLength: 1, maxLength: 5 }) }), async (script) => {
      const outcome = await run(script);
      violations += outcome.violations.length;
      expect(outcome.violations.length).toBeLessThanOrEqual(1);
      if (outcome.violations.length > 0 && outcome.started) expect(outcome.exit).toMatch(/broke the protocol/);
      if (outcome.started) expect(["ok", "lost", "deadline"].includes(outcome.call!) || outcome.call!.startsWith("error ")).toBe(true);
    }),
    { numRuns: 60 },
  );
  expect(violations).toBeGreaterThan(20);
}, 300_000);
