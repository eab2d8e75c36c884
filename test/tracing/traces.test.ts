/**
 * Traces against a real OTLP/HTTP receiver: a span per invoke request that
 * continues the caller's traceparent, with the wait in line, the executor
 * call and the guest call under it; and no tracing at all when no endpoint is set.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { randomBytes } from "node:crypto";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { rm } from "node:fs/promises";
import { join } from "node:path";
import type { Store } from "../../builds/store.ts";
import { serve } from "../../host/serve.ts";
import { createHost } from "../../host/host.ts";
import { createLogger } from "../../host/logger.ts";
import { deployModule, FIXTURES, REPO, tempStore } from "../host/helpers.ts";
import { startReceiver, type ReceivedSpan, type Receiver } from "./otlp-receiver.ts";

const ROUTE = "POST /v1/invoke/{env}/{fn}";
let store: Store;
let receiver: Receiver;
const traced = { traceId: randomBytes(16).toString("hex"), parentId: randomBytes(8).toString("hex") };
const refused = { traceId: randomBytes(16).toString("hex"), parentId: randomBytes(8).toString("hex") };

const nanos = (t: string) => BigInt(t);
const duration = (span: ReceivedSpan) => nanos(span.endTimeUnixNano) - nanos(span.startTimeUnixNano);
const childrenOf = (span: ReceivedSpan) => receiver.spans.filter((s) => s.traceId === span.traceId && s.parentSpanId === span.spanId);

beforeAll(async () => {
  store = await tempStore();
  await deployModule(store, "traced", join(FIXTURES, "package.json"), join(FIXTURES, "counter-v1.ts"));
  receiver = await startReceiver();
  process.env.OTEL_EXPORTER_OTLP_ENDPOINT = receiver.endpoint;
  const server = await serve({ store, watch: false, logger: createLogger("error"), config: { port: 0, pool: { size: 1 } } });
  await server.host.ready;
  const call = (rows: unknown[], headers: Record<string, string> = {}) =>
    fetch(`${server.address}/v1/invoke/traced/which`, { method: "POST", headers: { "content-type": "application/json", ...headers }, body: JSON.stringify({ rows }) });
  expect((await call([{ n: 1 }], { traceparent: `00-${traced.traceId}-${traced.parentId}-01` })).status).toBe(200);
  expect((await call([{ n: "one" }], { traceparent: `00-${refused.traceId}-${refused.parentId}-01` })).status).toBe(400);
  expect((await call([{ n: 2 }])).status).toBe(200);
  // Shutting down flushes the spans still batched.
  await server.shutdown();
  delete process.env.OTEL_EXPORTER_OTLP_ENDPOINT;
});

afterAll(async () => {
  await receiver?.close();
  if (store) await rm(store.root, { recursive: true, force: true });
});

describe("traces over OTLP/HTTP", () => {
  it("continue the caller's trace: request, wait in line, executor call, guest call inside it", () => {
    expect(receiver.contentTypes.every((t) => t.startsWith("application/json"))).toBe(true);
    const request = receiver.spans.find((s) => s.traceId === traced.traceId && s.name === ROUTE)!;
    expect(request).toBeDefined();
    expect(request.parentSpanId).toBe(traced.parentId);
    expect(request.resource["service.name"]).toBe("vial");
    expect(request.attributes).toMatchObject({ "http.route": "/v1/invoke/{env}/{fn}", "http.response.status_code": 200, "vial.env": "traced", "vial.function": "which" });
    const children = childrenOf(request);
    expect(children.map((s) => s.name).sort()).toEqual(["executor call", "queue wait"]);
    const executor = children.find((s) => s.name === "executor call")!;
    expect(executor.attributes).toMatchObject({ "vial.outcome": "ok", "vial.engine": expect.any(String) });
    const [guest] = childrenOf(executor);
    expect(guest?.name).toBe("guest call");
    // Timed by the executor, inside the host's round trip to it.
    expect(BigInt(Math.round((guest!.attributes["vial.guest.ms"] as number) * 1e6))).toBeLessThanOrEqual(duration(executor));
    for (const child of [...children, guest!]) expect(nanos(child.startTimeUnixNano)).toBeGreaterThanOrEqual(nanos(request.startTimeUnixNano));
    expect(duration(executor)).toBeLessThanOrEqual(duration(request));
  });

  it("mark a refused batch with its status and code, with no guest call", () => {
    const request = receiver.spans.find((s) => s.traceId === refused.traceId && s.name === ROUTE)!;
    expect(request.attributes).toMatchObject({ "http.response.status_code": 400, "vial.error.code": "invalid_row" });
    const executor = childrenOf(request).find((s) => s.name === "executor call")!;
    expect(executor.attributes["vial.outcome"]).toBe("invalid_row");
    expect(childrenOf(executor)).toEqual([]);
  });

  it("start a new trace for a caller without traceparent", () => {
    const roots = receiver.spans.filter((s) => s.name === ROUTE && s.traceId !== traced.traceId && s.traceId !== refused.traceId);
    expect(roots).toHaveLength(1);
    expect(roots[0]!.parentSpanId ?? "").toBe("");
  });

  it("are off without an endpoint: no tracing middleware on the app", async () => {
    const untraced = createHost({ store, watch: false, logger: createLogger("error") });
    try {
      const names = (app: typeof untraced.app) => app.routes.map((r) => r.handler.name);
      expect(names(untraced.app)).not.toContain("traceInvoke");
      process.env.OTEL_EXPORTER_OTLP_ENDPOINT = receiver.endpoint;
      const tracedHost = createHost({ store, watch: false, logger: createLogger("error") });
      delete process.env.OTEL_EXPORTER_OTLP_ENDPOINT;
      expect(names(tracedHost.app)).toContain("traceInvoke");
      await tracedHost.close();
    } finally {
      await untraced.close();
    }
  });

  it("never import the SDK without an endpoint: a host serves with its imports blocked", async () => {
    const script = join(REPO, "test/tracing/fixtures/host-with-and-without-endpoint.ts");
    const args = ["--import", join(REPO, "test/tracing/fixtures/block-sdk.mjs"), "--import", "tsx", script, store.root];
    const { stdout } = await promisify(execFile)(process.execPath, args, { cwd: REPO });
    const result = JSON.parse(stdout) as { untraced: number; traced: number; untracedLog: string[]; tracedLog: string[] };
    expect(result.untraced).toBe(200);
    expect(result.untracedLog).toEqual([]);
    // With an endpoint the host reaches for the SDK (blocked here), says so, and serves untraced.
    expect(result.tracedLog.join("\n")).toMatch(/"err":"blocked import of @opentelemetry\/[^"]+".*tracing could not start/);
    expect(result.traced).toBe(200);
  });
});

