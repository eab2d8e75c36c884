/**
 * Shadow versions on a real host under load: a new version deployed with
 * --shadow sees a copy of every request, off the request path; callers get
 * the current version's answers and nothing fails; the shadow's rows are
 * compared with the current ones, mismatches counted and sampled, and the
 * same counts are in /metrics. A shadow that cannot keep up sheds. The CLI
 * deploys, promotes and stops shadows on the running host.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { spawn } from "node:child_process";
import { rm } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Encoder } from "cbor-x";
import type { Store } from "../../builds/store.ts";
import { deploy } from "../../builds/deploy.ts";
import { serve, type Serving } from "../../host/serve.ts";
import { createLogger } from "../../host/logger.ts";
import type { ShadowView } from "../../host/shadow/shadow.ts";
import { deployModule, eventually, metricValue, REPO, tempStore } from "../host/helpers.ts";

const FIXTURES = fileURLToPath(new URL("./fixtures/", import.meta.url));
const cbor = new Encoder({ useRecords: false, mapsAsObjects: true, tagUint8Array: false });

let store: Store;
let server: Serving;
let v1: string;

beforeAll(async () => {
  store = await tempStore();
  v1 = await deployModule(store, "scores", join(FIXTURES, "package.json"), join(FIXTURES, "scores-v1.ts"));
  server = await serve({ store, logger: createLogger("warn"), config: { port: 0, watchPollMs: 200, pool: { size: 2, deadlineMs: 5000 } } });
  await server.host.ready;
}, 300_000);

afterAll(async () => {
  await server?.shutdown();
  if (store) await rm(store.root, { recursive: true, force: true });
});

const shadowView = async (): Promise<ShadowView | { version: null }> => (await fetch(`${server.address}/v1/environments/scores/shadow`)).json() as Promise<ShadowView>;

/** Eleven rows with three the next version answers differently: x ending in 7, the tag "boom", a negative x. */
const scoreRows = (base: number) => [...Array.from({ length: 10 }, (_, i) => ({ x: base + i, tag: i === 3 ? "boom" : "t" })), { x: -1 - base, tag: "neg" }];

interface Load {
  statuses: number[];
  latencies: number[];
  wrong: number;
}

/** `concurrency` callers, `perCaller` requests each; checks every answer is the current (v1) version's. */
async function load(concurrency: number, perCaller: number, fn = "score"): Promise<Load> {
  const result: Load = { statuses: [], latencies: [], wrong: 0 };
  await Promise.all(
    Array.from({ length: concurrency }, async (_, caller) => {
      for (let k = 0; k < perCaller; k++) {
        const base = (caller * perCaller + k) * 10;
        const rows = fn === "score" ? scoreRows(base) : [0, 1, 2, 3, 4].map((i) => ({ x: base + i }));
        const started = performance.now();
        const response = await fetch(`${server.address}/v1/invoke/scores/${fn}`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ rows }) });
        const body = (await response.json()) as { rows: Array<Record<string, unknown> | null>; errors: Array<{ row: number }> };
        result.latencies.push(performance.now() - started);
        result.statuses.push(response.status);
        const expected = fn === "score" ? rows.map((r) => (r.x < 0 ? null : { y: r.x * 2, label: (r as unknown as { tag: string }).tag })) : rows;
        if (JSON.stringify(body.rows) !== JSON.stringify(expected)) result.wrong++;
      }
    }),
  );
  return result;
}

const percentile = (xs: number[], p: number) => {
  const sorted = [...xs].sort((a, b) => a - b);
  return Math.round(sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]! * 100) / 100;
};

describe("shadow versions", () => {
  it("mirror every request off the request path: no failed request, the current answers, mismatches counted and sampled", async () => {
    await load(2, 10); // warm-up
    const { manifest } = await deploy({ store, env: "scores", modulePath: join(FIXTURES, "scores-v2.ts"), shadow: { fraction: 1 } });
    await eventually(async () => (await shadowView()).version === manifest.version);
    // Every mirrored request is compared (11 rows) or shed.
    let mirrored = 0;
    const settled = () =>
      eventually(async () => {
        const stats = ((await shadowView()) as ShadowView).functions.score;
        return (stats?.compared ?? 0) / 11 + (stats?.shed ?? 0) + (stats?.failed ?? 0) === mirrored;
      });
    const setFraction = async (fraction: number) => {
      await store.setShadow("scores", manifest.version, fraction);
      await eventually(async () => ((await shadowView()) as ShadowView).fraction === fraction);
    };
    // Rounds alternate between mirroring (almost) nothing and mirroring every request, so the machine's drift
    // falls on both alike; each quiet round starts once the shadow has finished what it was sent.
    const without: Load[] = [];
    const withShadow: Load[] = [];
    for (let round = 0; round < 4; round++) {
      await setFraction(1e-9);
      await settled();
      without.push(await load(4, 15));
      await setFraction(1);
      withShadow.push(await load(4, 15));
      mirrored += 60;
    }
    for (const phase of [...without, ...withShadow]) {
      expect(phase.statuses.every((s) => s === 200)).toBe(true);
      expect(phase.wrong).toBe(0);
    }
    await settled();
    const requests = mirrored;
    const view = (await shadowView()) as ShadowView;
    const stats = view.functions.score!;
    expect(view).toMatchObject({ version: manifest.version, fraction: 1 });
    expect(stats.failed).toBe(0);
    expect(stats.compared).toBeGreaterThan(0);
    expect(stats.mismatched).toBe((stats.compared / 11) * 3);
    expect(stats.matched).toBe((stats.compared / 11) * 8);
    expect(stats.samples.length).toBe(10);
    for (const { input, current, shadow } of stats.samples) {
      const { x, tag } = input as { x: number; tag: string };
      if (tag === "boom") expect([current, shadow]).toEqual([{ y: 2 * x, label: "boom" }, { error: "Error: boom is not a tag" }]);
      else if (x < 0) expect([current, shadow]).toEqual([{ error: "RangeError: x must not be negative" }, { y: 0, label: "neg" }]);
      else expect([current, shadow]).toEqual([{ y: 2 * x, label: tag }, { y: 2 * x + 1, label: tag }]);
    }
    const metrics = await (await fetch(`${server.address}/metrics`)).text();
    const labels = { env: "scores", function: "score", version: manifest.version };
    for (const [name, value] of [["compared_rows", stats.compared], ["matched_rows", stats.matched], ["mismatched_rows", stats.mismatched], ["shed", stats.shed]] as const) {
      expect(metricValue(metrics, `vial_shadow_${name}_total`, labels), name).toBe(value);
    }
    const latencies = (phases: Load[]) => phases.flatMap((p) => p.latencies);
    const figures = {
      requests,
      shed: stats.shed,
      withoutShadow: { p50ms: percentile(latencies(without), 0.5), p99ms: percentile(latencies(without), 0.99) },
      withShadow: { p50ms: percentile(latencies(withShadow), 0.5), p99ms: percentile(latencies(withShadow), 0.99) },
    };
    console.log(`[vial-figures] shadow-latency ${JSON.stringify(figures)}`);
  });

  it("compares CBOR bodies with bytes and in-process calls too, and sheds what a slow shadow cannot take, failing nothing", async () => {
    const rows = [0, 1, 2].map((i) => ({ raw: new Uint8Array([i, 255, 0]), note: i ? `n${i}` : null }));
    const response = await fetch(`${server.address}/v1/invoke/scores/echo`, { method: "POST", headers: { "content-type": "application/cbor" }, body: new Uint8Array(cbor.encode({ rows })) });
    expect(response.status).toBe(200);
    await server.host.invoke("scores", "echo", rows, { bytes: "binary" });
    await eventually(async () => ((await shadowView()) as ShadowView).functions.echo?.compared === 6);
    expect(((await shadowView()) as ShadowView).functions.echo).toMatchObject({ matched: 6, mismatched: 0 });

    const burst = await load(8, 25, "slow");
    expect(burst.statuses.every((s) => s === 200)).toBe(true);
    expect(burst.wrong).toBe(0);
    await eventually(async () => {
      const slow = ((await shadowView()) as ShadowView).functions.slow;
      return !!slow && slow.compared / 5 + slow.shed + slow.failed === 200;
    });
    const slow = ((await shadowView()) as ShadowView).functions.slow!;
    expect(slow.shed).toBeGreaterThan(0);
    expect(slow.mismatched).toBe(0);
    console.log(`[vial-figures] shadow-shed ${JSON.stringify({ requests: 200, compared: slow.compared / 5, shed: slow.shed, p99ms: percentile(burst.latencies, 0.99) })}`);
  });

  it("vial promote makes the shadow current on the running host, vial rollback returns, deploy --shadow --fraction and shadow stop from the CLI", async () => {
    const cli = (...args: string[]) =>
      new Promise<{ code: number | null; out: string }>((resolve) => {
        const child = spawn(process.execPath, [join(REPO, "bin", "vial.js"), ...args, "--store", store.root], { cwd: REPO, stdio: ["ignore", "pipe", "pipe"] });
        let out = "";
        child.stdout.on("data", (d: Buffer) => (out += d));
        child.stderr.on("data", (d: Buffer) => (out += d));
        child.on("close", (code) => resolve({ code, out }));
      });
    const answer = async () => ((await (await fetch(`${server.address}/v1/invoke/scores/score`, { method: "POST", headers: { "content-type": "application/json" }, body: '{"rows":[{"x":7,"tag":"a"}]}' })).json()) as { rows: Array<{ y: number }> }).rows[0]!.y;
    const shadowVersion = ((await shadowView()) as ShadowView).version;

    expect((await cli("promote", "--env", "scores")).out).toMatch(new RegExp(`scores is now at ${shadowVersion} \\(previous: ${v1}\\)`));
    await eventually(async () => (await answer()) === 15 && (await shadowView()).version === null);
    expect((await cli("rollback", "--env", "scores")).code).toBe(0);
    await eventually(async () => (await answer()) === 14);

    const deployed = await cli("deploy", join(FIXTURES, "scores-v2.ts"), "--env", "scores", "--shadow", "--fraction", "0.5");
    expect(deployed.code).toBe(0);
    expect(deployed.out).toMatch(/shadowing the current version on 50% of its requests/);
    const deployedVersion = /published scores@(\w+)/.exec(deployed.out)![1];
    await eventually(async () => (await shadowView()).version === deployedVersion);
    expect(((await shadowView()) as ShadowView).fraction).toBe(0.5);
    expect((await cli("shadow", "stop", "--env", "scores")).out).toMatch(`scores is no longer shadowed by ${deployedVersion}`);
    await eventually(async () => (await shadowView()).version === null);
    expect((await cli("deploy", join(FIXTURES, "scores-v2.ts"), "--env", "scores", "--fraction", "0.5")).out).toMatch(/error: --fraction goes with --shadow/);
    expect(await answer()).toBe(14);
  });
});
