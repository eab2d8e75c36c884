/**
 * What a caller learns about environments it may not invoke, on a host with
 * tokens: /metrics needs a token and shows only the caller's environments
 * (and the host's own series), and no route answered without a token names
 * an environment or tells a served name from an unknown one.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { rm } from "node:fs/promises";
import { join } from "node:path";
import type { Store } from "../../builds/store.ts";
import { serve, type Serving } from "../../host/serve.ts";
import { createLogger } from "../../host/logger.ts";
import { deployModule, metricValue, tempStore } from "../host/helpers.ts";
import { publishCopy, SECURITY_FIXTURES } from "./helpers.ts";

const TENANTS = ["tenant-a", "tenant-b"] as const;
const UNKNOWN = "tenant-z";
const TOKENS = { "a-token": ["tenant-a"], "b-token": ["tenant-b"], "scraper-token": ["*"] };
const ADMIN = "admin-token";

let store: Store;
let server: Serving;

const bearer = (token?: string): Record<string, string> => (token ? { authorization: `Bearer ${token}` } : {});
const scrape = (token?: string) => fetch(`${server.address}/metrics`, { headers: bearer(token) });

beforeAll(async () => {
  store = await tempStore();
  await deployModule(store, TENANTS[0], join(SECURITY_FIXTURES, "package.json"), join(SECURITY_FIXTURES, "abuse.ts"));
  await publishCopy(store, TENANTS[0], TENANTS[1]);
  server = await serve({ store, logger: createLogger("warn", { write: () => undefined }), watch: false, config: { port: 0, pool: { size: 1 }, tokens: TOKENS, adminToken: ADMIN } });
  await server.host.ready;
  // One call per tenant, each with its own token: both environments have series of their own.
  for (const [env, token] of [[TENANTS[0], "a-token"], [TENANTS[1], "b-token"]] as const) {
    const answer = await fetch(`${server.address}/v1/invoke/${env}/echo`, {
      method: "POST",
      headers: { "content-type": "application/json", ...bearer(token) },
      body: JSON.stringify({ rows: [{ text: "t", count: 1 }] }),
    });
    expect(answer.status).toBe(200);
  }
});

afterAll(async () => {
  await server?.shutdown();
  if (store) await rm(store.root, { recursive: true, force: true });
});

describe("GET /metrics on a host with tokens", () => {
  it("refuses a caller without a token, or with one nobody issued, with the 401 every /v1 route gives", async () => {
    for (const token of [undefined, "nobody-issued-this"]) {
      const answer = await scrape(token);
      expect(answer.status).toBe(401);
      const body = await answer.text();
      expect(JSON.parse(body).error.code).toBe("unauthorized");
      for (const env of TENANTS) expect(body).not.toContain(env);
    }
  });

  it("shows a tenant's token its environment's series and the host's own, and nothing of another environment", async () => {
    const answer = await scrape("a-token");
    expect(answer.status).toBe(200);
    const text = await answer.text();
    expect(metricValue(text, "vial_requests_total", { env: TENANTS[0], function: "echo", status: "200" })).toBe(1);
    expect(metricValue(text, "vial_instances", { env: TENANTS[0] })).toBe(1);
    expect(text).toContain("# TYPE vial_client_events_total counter");
    expect(text).not.toContain(TENANTS[1]);
  });

  it("shows a token granted every environment (a scraper's), and the admin token, all of them", async () => {
    for (const token of ["scraper-token", ADMIN]) {
      const text = await (await scrape(token)).text();
      for (const env of TENANTS) expect(metricValue(text, "vial_requests_total", { env, function: "echo", status: "200" })).toBe(1);
    }
  });
});

describe("routes answered without a token", () => {
  interface Seen {
    status: number;
    type: string | null;
    body: string;
  }

  /** Calls one declared route without a token, `env` in its path, and reads back what any caller could see with the name masked. */
  async function call(path: string, method: string, env: string): Promise<Seen> {
    const url = server.address + path.replaceAll("{env}", env).replaceAll("{fn}", "echo");
    const init = method === "post" ? { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ rows: [{ text: "t", count: 1 }] }) } : {};
    const answer = await fetch(url, init);
    return { status: answer.status, type: answer.headers.get("content-type"), body: (await answer.text()).replaceAll(env, "{env}") };
  }

  it("never name an environment, and answer a served name exactly as an unknown one", async () => {
    const document = (await (await fetch(`${server.address}/openapi.json`)).json()) as { paths: Record<string, Record<string, { security?: unknown[] }>> };
    const operations = Object.entries(document.paths).flatMap(([path, methods]) => Object.entries(methods).map(([method, op]) => ({ path, method, op })));
    expect(operations.find((o) => o.path === "/metrics")?.op.security).not.toEqual([]);
    for (const { path, method } of operations) {
      const unknown = await call(path, method, UNKNOWN);
      for (const env of TENANTS) {
        const served = await call(path, method, env);
        expect(served, `${method} ${path}`).toEqual(unknown);
        for (const other of TENANTS) expect(served.body, `${method} ${path}`).not.toContain(other);
      }
    }
  });
});
