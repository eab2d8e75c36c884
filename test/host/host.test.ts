/**
 * The host against real components: pools, invoke API, deadlines, memory cap,
 * refused versions, formats, transports, tokens. One store built for the file.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Encoder } from "cbor-x";
import { ratio, partial_ratio } from "fuzzball";
import type { Store } from "../../builds/store.ts";
import { createHost, type Host } from "../../host/host.ts";
import { createLogger } from "../../host/logger.ts";
import { serve, type Serving } from "../../host/serve.ts";
import { createClient, VialClientError } from "../../host/client.ts";
import { deployModule, eventually, FIXTURES, metricValue, publishTampered, publishWasiImporter, REPO, tempStore } from "./helpers.ts";

const cbor = new Encoder({ useRecords: false, mapsAsObjects: true, tagUint8Array: false });
const POOL_SIZE = 2;
const logLines: string[] = [];
const logger = createLogger("info", { write: (line: string) => void logLines.push(line) });

let store: Store;
let fxVersion: string;
let host: Host;
let server: Serving;
let base: string;

const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
  fetch(base + path, { method: "POST", headers: { "content-type": "application/json", ...headers }, body: JSON.stringify(body) });
const metrics = async () => (await fetch(base + "/metrics")).text();
const poolOf = async (env: string) => {
  const { environments } = (await (await fetch(base + "/v1/environments")).json()) as { environments: Array<{ name: string; pool: { idle: number; busy: number; starting: number; size: number } }> };
  return environments.find((e) => e.name === env)?.pool;
};

beforeAll(async () => {
  store = await tempStore();
  fxVersion = await deployModule(store, "fx", join(FIXTURES, "package.json"), join(FIXTURES, "misbehaving.ts"));
  await deployModule(store, "fuzzy", join(REPO, "examples/fuzzy-similarity/package.json"), join(REPO, "examples/fuzzy-similarity/features.ts"));
  await publishWasiImporter(store, "wasi-declared", true);
  await publishWasiImporter(store, "wasi-hidden", false);
  await publishTampered(store, "fx", fxVersion, "tampered");

  server = await serve({
    store,
    logger,
    watch: false,
    config: { port: 0, pool: { size: POOL_SIZE }, environments: { fx: { memoryMiB: 32, deadlineMs: 60_000 } } },
  });
  host = server.host;
  base = server.address;
  // Readiness is checked before warming can have finished: createHost starts it asynchronously.
  expect((await fetch(base + "/readyz")).status).toBe(503);
  await host.ready;
});

afterAll(async () => {
  await server?.shutdown();
  if (store) await rm(store.root, { recursive: true, force: true });
});

describe("readiness and warm pools", () => {
  it("is ready only once every pool is warm", async () => {
    expect((await fetch(base + "/readyz")).status).toBe(200);
    expect(await poolOf("fx")).toMatchObject({ size: POOL_SIZE, idle: POOL_SIZE, busy: 0, starting: 0 });
    expect(metricValue(await metrics(), "vial_instantiations_total", { env: "fx" })).toBe(POOL_SIZE);
  });

  it("serves a burst of 10x the pool size without instantiating on the request path", async () => {
    const before = await metrics();
    const responses = await Promise.all(
      Array.from({ length: 10 * POOL_SIZE }, (_, i) => post("/v1/invoke/fx/echo", { rows: [{ text: `r${i}`, count: i }] })),
    );
    expect(responses.map((r) => r.status)).toEqual(responses.map(() => 200));
    const bodies = (await Promise.all(responses.map((r) => r.json()))) as Array<{ rows: Array<{ count: number }> }>;
    expect(bodies.map((b) => b.rows[0]!.count)).toEqual(bodies.map((_, i) => i + 1));
    const after = await metrics();
    expect(metricValue(after, "vial_request_path_instantiations_total")).toBe(0);
    expect(metricValue(after, "vial_instantiations_total", { env: "fx" })).toBe(metricValue(before, "vial_instantiations_total", { env: "fx" }));
  });
});

describe("invoke API", () => {
  it("returns 400 naming the row and the field that does not match the input schema", async () => {
    const response = await post("/v1/invoke/fx/echo", { rows: [{ text: "ok", count: 1 }, { text: "bad", count: "2" }] });
    expect(response.status).toBe(400);
    const { error } = (await response.json()) as { error: { code: string; message: string } };
    expect(error.code).toBe("invalid_row");
    expect(error.message).toContain("row 1");
    expect(error.message).toContain("field 'count'");
  });

  it("reports a failing row as null with its error, the other rows as results", async () => {
    const response = await post("/v1/invoke/fx/echo", { rows: [{ text: "a", count: 1 }, { text: "b", count: 1, fail: true }, { text: "c", count: 1 }] });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({
      rows: [{ text: "a", count: 2, data: null }, null, { text: "c", count: 2, data: null }],
      errors: [{ row: 1, error: "Error: row asked to fail: b" }],
    });
  });

  it("turns a guest output that breaks the output schema into that row's error", async () => {
    const response = await post("/v1/invoke/fx/liar", { rows: [{ text: "x" }] });
    expect(await response.json()).toEqual({ rows: [null], errors: [{ row: 0, error: "output field 'count': expected int64, got string" }] });
  });

  it("answers a batch the guest rejects as a whole with 422 and its message", async () => {
    const response = await post("/v1/invoke/fx/refuse", { rows: [{ text: "x" }] });
    expect(response.status).toBe(422);
    expect(((await response.json()) as { error: { message: string } }).error.message).toContain("this batch is refused");
  });

  it("answers 404 for unknown environments and functions whatever the body, 413 past the body limit", async () => {
    expect((await post("/v1/invoke/nowhere/echo", { rows: [] })).status).toBe(404);
    expect((await post("/v1/invoke/fx/nothing", { rows: [] })).status).toBe(404);
    const huge = { rows: [{ text: "x".repeat(host.config.bodyLimitBytes), count: 1 }] };
    expect((await post("/v1/invoke/fx/echo", huge)).status).toBe(413);
    // What is not there is 404 before the body is looked at: not 413, 415 or 400.
    expect((await post("/v1/invoke/nowhere/echo", huge)).status).toBe(404);
    expect((await post("/v1/invoke/fx/nothing", huge)).status).toBe(404);
    const odd = await fetch(base + "/v1/invoke/nowhere/echo", { method: "POST", headers: { "content-type": "text/csv" }, body: "not,json" });
    expect(odd.status).toBe(404);
    expect((await fetch(base + "/v1/invoke/fx/echo", { method: "POST", headers: { "content-type": "text/csv" }, body: "a" })).status).toBe(415);
  });

  it("puts the guest's console output in the host logs, tagged, with the request id", async () => {
    const response = await post("/v1/invoke/fx/chatty", { rows: [{ text: "marker-42" }] }, { "x-request-id": "req-chatty" });
    expect(response.headers.get("x-request-id")).toBe("req-chatty");
    const line = logLines.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.guest === "log: saw marker-42");
    expect(line).toMatchObject({ env: "fx", function: "chatty", requestId: "req-chatty" });
  });

  it("speaks CBOR, with bytes as byte strings, and JSON with bytes as base64", async () => {
    const data = Uint8Array.of(0, 1, 2, 250);
    const response = await fetch(base + "/v1/invoke/fx/echo", {
      method: "POST",
      headers: { "content-type": "application/cbor" },
      body: new Uint8Array(cbor.encode({ rows: [{ text: "bin", count: 1, data }] })),
    });
    expect(response.headers.get("content-type")).toBe("application/cbor");
    const body = cbor.decode(new Uint8Array(await response.arrayBuffer())) as { rows: Array<{ data: Uint8Array }> };
    expect(Array.from(body.rows[0]!.data)).toEqual(Array.from(data));

    const json = (await (await post("/v1/invoke/fx/echo", { rows: [{ text: "b64", count: 1, data: "AAEC+g==" }] })).json()) as { rows: Array<{ data: string }> };
    expect(json.rows[0]!.data).toBe("AAEC+g==");
  });

  it("gives the same results as running fuzzball natively", async () => {
    const texts = ["Mocha Cheesecake Fudge Brownie Bars", "brownie", "cheesecake bars", "", "ünïcödé fudge 🍫"];
    const response = await post("/v1/invoke/fuzzy/fuzzy_similarity", { rows: texts.map((text) => ({ text })) });
    const { rows } = (await response.json()) as { rows: unknown[] };
    const baseline = "Mocha Cheesecake Fudge Brownie Bars";
    expect(rows).toEqual(texts.map((text) => ({ similarity: ratio(baseline, text), partial_similarity: partial_ratio(baseline, text) })));
  });
});

describe("containment", () => {
  it("stops an endless call at its deadline (504) while other calls succeed, then refills the pool", async () => {
    const before = metricValue(await metrics(), "vial_instance_restarts_total", { env: "fx", cause: "timeout" });
    const spinning = post("/v1/invoke/fx/spin", { rows: [{ text: "x" }] }, { "x-vial-deadline-ms": "500" });
    const others = await Promise.all(Array.from({ length: 6 }, (_, i) => post("/v1/invoke/fx/echo", { rows: [{ text: "t", count: i }] })));
    expect(others.map((r) => r.status)).toEqual(others.map(() => 200));
    const response = await spinning;
    expect(response.status).toBe(504);
    const { error } = (await response.json()) as { error: { code: string; message: string } };
    expect(error.code).toBe("deadline_exceeded");
    expect(error.message).toContain("500 ms deadline");
    await eventually(async () => (await poolOf("fx"))?.idle === POOL_SIZE);
    expect(metricValue(await metrics(), "vial_instance_restarts_total", { env: "fx", cause: "timeout" })).toBe(before + 1);
  });

  it("stops a memory-hungry call at the cap and replaces the instance", async () => {
    const response = await post("/v1/invoke/fx/hog", { rows: [{ mib: 100_000 }] });
    expect(response.status).toBe(500);
    const { error } = (await response.json()) as { error: { code: string; message: string } };
    expect(error.code).toBe("memory_limit");
    expect(error.message).toContain("32 MiB");
    expect(metricValue(await metrics(), "vial_instance_restarts_total", { env: "fx", cause: "memory" })).toBe(1);
    await eventually(async () => (await poolOf("fx"))?.idle === POOL_SIZE);
    expect((await post("/v1/invoke/fx/hog", { rows: [{ mib: 1 }] })).status).toBe(200);
  });

  it("refuses to load a component that imports WASI, whether or not its manifest admits it", async () => {
    const { environments } = (await (await fetch(base + "/v1/environments")).json()) as { environments: Array<{ name: string }> };
    expect(environments.map((e) => e.name).sort()).toEqual(["fuzzy", "fx"]);
    const results = await host.reload();
    for (const env of ["wasi-declared", "wasi-hidden"]) {
      const result = results.find((r) => r.env === env);
      expect(result).toMatchObject({ status: "refused" });
      expect(result && "error" in result && result.error).toContain("'wasi:cli/environment'");
    }
    expect((await post("/v1/invoke/wasi-hidden/hello", { rows: [] })).status).toBe(404);
  });

  it("refuses a version whose files do not match their manifest digests", async () => {
    const result = (await host.reload("tampered"))[0]!;
    expect(result.status).toBe("refused");
    expect("error" in result && result.error).toMatch(/component\.core\.wasm has sha256 .* the manifest says/);
  });
});

describe("transports and client", () => {
  it("serves over a unix socket, and the client talks CBOR there by default", async () => {
    const dir = await mkdtemp(join(tmpdir(), "vial-sock-"));
    const socket = join(dir, "vial.sock");
    const sidecar = await serve({ store, logger, watch: false, config: { socket, pool: { size: 1 } } });
    const client = createClient({ socketPath: socket });
    try {
      await sidecar.host.ready;
      expect(sidecar.address).toBe(`unix:${socket}`);
      const result = await client.invoke("fx", "echo", [{ text: "s", count: 1, data: Uint8Array.of(9) }]);
      expect(result.rows[0]).toMatchObject({ text: "s", count: 2 });
      expect(Array.from(result.rows[0]!.data as Uint8Array)).toEqual([9]);
      await expect(client.invoke("fx", "echo", [{ text: 1 }])).rejects.toMatchObject({ status: 400, code: "invalid_row" });
    } finally {
      await client.close();
      await sidecar.shutdown();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("retries a 503 with backoff until its retries run out", async () => {
    const busy = await serve({ store, logger, watch: false, config: { port: 0, pool: { size: 1, maxQueue: 0 } } });
    await busy.host.ready;
    const client = createClient({ url: busy.address, format: "json", retries: 2, backoffMs: 10, maxBackoffMs: 20 });
    try {
      const blocker = client.invoke("fx", "spin", [{ text: "x" }], { deadlineMs: 60_000 });
      await eventually(async () => metricValue(await busy.host.metrics.registry.metrics(), "vial_instances", { env: "fx", state: "busy" }) === 1);
      const error = await client.invoke("fx", "echo", [{ text: "x", count: 1 }]).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(VialClientError);
      expect(error).toMatchObject({ status: 503, code: "overloaded" });
      expect(metricValue(await busy.host.metrics.registry.metrics(), "vial_requests_total", { function: "echo", status: "503" })).toBe(3);
      void blocker.catch(() => undefined);
    } finally {
      await client.close();
      await busy.shutdown();
    }
  });
});

describe("engines", () => {
  it("runs a v8 version on V8 by default, and its QuickJS component where the host's configuration says so", async () => {
    const listed = async (app: { request(path: string): Response | Promise<Response> }) =>
      ((await (await app.request("/v1/environments")).json()) as { environments: Array<{ name: string; engine: unknown }> }).environments.find((e) => e.name === "fuzzy")!.engine;
    expect(await listed(host.app)).toEqual({ version: "v8", running: "v8" });
    const wasm = createHost({ store, logger, watch: false, config: { pool: { size: 1, engine: "component", deadlineMs: 10_000 } } });
    try {
      await wasm.ready;
      expect(await listed(wasm.app)).toEqual({ version: "v8", running: "component", reason: "the host's configuration runs components (engine: component)" });
      const rows = [{ text: "Mocha brownie bars" }, { text: "" }];
      const onV8 = await host.invoke("fuzzy", "fuzzy_similarity", rows);
      expect(await wasm.invoke("fuzzy", "fuzzy_similarity", rows)).toEqual(onV8);
    } finally {
      await wasm.close();
    }
  });
});

describe("tokens", () => {
  it("answers 401 without a valid token and 403 for another environment's token", async () => {
    const guarded = createHost({ store, logger, watch: false, config: { pool: { size: 1 }, tokens: { "fx-token": ["fx"], "fuzzy-token": ["fuzzy"] }, adminToken: "admin-token" } });
    try {
      await guarded.ready;
      const call = (token?: string, env = "fx", fn = "echo") =>
        guarded.app.request(`/v1/invoke/${env}/${fn}`, {
          method: "POST",
          headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
          body: JSON.stringify({ rows: [{ text: "t", count: 1 }] }),
        });
      expect((await call()).status).toBe(401);
      expect((await call("wrong")).status).toBe(401);
      expect((await call("fuzzy-token")).status).toBe(403);
      expect((await call("fx-token")).status).toBe(200);
      const reload = (token: string) => guarded.app.request("/v1/admin/reload", { method: "POST", headers: { authorization: `Bearer ${token}` } });
      expect((await reload("fx-token")).status).toBe(403);
      expect((await reload("admin-token")).status).toBe(409); // the WASI importers in this store stay refused
      const listed = (await (await guarded.app.request("/v1/environments", { headers: { authorization: "Bearer fuzzy-token" } })).json()) as { environments: Array<{ name: string }> };
      expect(listed.environments.map((e) => e.name)).toEqual(["fuzzy"]);
    } finally {
      await guarded.close();
    }
  });
});
