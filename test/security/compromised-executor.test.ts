/**
 * An executor taken over whole (what a V8 escape into it would give) attacks the host through its channel and
 * its stderr, one attack per environment, while a bystander environment is called the whole time: the host
 * stays up, ends each attacker's executor and restarts it, and the bystander never fails.
 *
 * The executor's code is the real one with the attacker's code run first (fixtures/compromised-executor.mjs):
 * the host and everything it runs are real; only what the attacker would change is changed.
 */
import { afterAll, beforeAll, expect, it, vi } from "vitest";
import { chmod, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import type { Store } from "../../builds/store.ts";
import { deployModule, eventually, executorOf, metricValue, tempStore } from "../host/helpers.ts";
import { callThroughout, publishCopy, SECURITY_FIXTURES, watchedHost, type Bystander, type Watched } from "./helpers.ts";

vi.mock("../../supervision/code.ts", async (importOriginal) => {
  const real = await importOriginal<typeof import("../../supervision/code.ts")>();
  let compromised: Promise<import("../../supervision/code.ts").ExecutorCode> | undefined;
  return {
    ...real,
    executorCode: () =>
      (compromised ??= (async () => {
        const code = await real.executorCode();
        const dir = await mkdtemp(join(tmpdir(), "vial-compromised-"));
        await chmod(dir, 0o755); // executors may run as nobody
        const entry = join(dir, "executor.mjs");
        const text = await readFile(join(SECURITY_FIXTURES, "compromised-executor.mjs"), "utf8");
        await writeFile(entry, text.replace("REAL_EXECUTOR", pathToFileURL(code.entry).href), { mode: 0o644 });
        return { ...code, entry, readable: [...code.readable, dir] };
      })()),
  };
});

const ATTACKS = ["garbage-frame", "huge-length", "unknown-type", "forged-answer", "lying-parts", "log-flood"];
let store: Store;
let host: Watched;
let bystander: Bystander;

beforeAll(async () => {
  store = await tempStore();
  await deployModule(store, "bystander", join(SECURITY_FIXTURES, "package.json"), join(SECURITY_FIXTURES, "loud.ts"));
  for (const attack of [...ATTACKS, "stderr-flood"]) await publishCopy(store, "bystander", `victim-${attack}`);
  host = await watchedHost(store, { pool: { size: 1, deadlineMs: 10_000 } });
  bystander = callThroughout(host, "bystander", "echo", [{ text: "still here" }], (a) => a.status === 200 && a.value.rows[0].text === "still here");
}, 300_000);

afterAll(async () => {
  await bystander?.stop();
  await host?.close();
  if (store) await rm(store.root, { recursive: true, force: true });
});

const metric = async (name: string, env: string) => metricValue(await host.serving.host.metrics.registry.metrics(), name, { env });

it.each(ATTACKS)("ends the executor that attacks with %s, restarts it, and goes on serving", async (attack) => {
  const env = `victim-${attack}`;
  const before = await executorOf(host.base, env);
  const answer = await host.invoke(env, "echo", [{ text: `ATTACK:${attack}` }]);
  expect(answer.status).toBe(500);
  expect(answer.value.error.message).toMatch(/broke the protocol/);
  expect(await metric("vial_executor_protocol_violations_total", env)).toBe(1);
  await eventually(async () => {
    const now = await executorOf(host.base, env);
    return now.status === "running" && now.pid !== before.pid;
  });
  expect((await host.invoke(env, "echo", [{ text: "after" }])).value.rows).toEqual([{ text: "after" }]);
});

it("reads a 300 MB stderr line in bounded pieces, and keeps serving", async () => {
  const env = "victim-stderr-flood";
  const rssBefore = process.memoryUsage.rss();
  const answer = await host.invoke(env, "echo", [{ text: "ATTACK:stderr-flood" }]);
  expect(answer.status).toBe(200);
  await eventually(() => host.logs.some((l) => l.includes('"msg":"executor stderr"') && l.includes("AAAA")));
  const line = host.logs.find((l) => l.includes('"msg":"executor stderr"') && l.includes("AAAA"))!;
  expect(line.length).toBeLessThan(8192);
  expect(process.memoryUsage.rss() - rssBefore).toBeLessThan(200 * 2 ** 20);
  expect(await metric("vial_executor_protocol_violations_total", env)).toBe(0);
});

it("never failed the bystander", async () => {
  await bystander.stop();
  expect(bystander.calls).toBeGreaterThan(50);
  expect(bystander.failures).toBe(0);
  expect(await metric("vial_executor_restarts_total", "bystander")).toBe(0);
});
