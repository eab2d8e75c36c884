/**
 * The OpenAPI documents against a real host: valid OpenAPI 3.1 (a real
 * validator), every route of the app in the host's document, every answer
 * the routes give declared there with its body's schema, and each
 * environment's row schemas taking what the host takes and refusing what it refuses.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { rm } from "node:fs/promises";
import { join } from "node:path";
import { Decoder, Encoder } from "cbor-x";
import { validate, compileErrors } from "@readme/openapi-parser";
import type { Store } from "../../builds/store.ts";
import { createHost, type Host } from "../../host/host.ts";
import { createLogger } from "../../host/logger.ts";
import { deployModule, FIXTURES, REPO, tempStore } from "../host/helpers.ts";
import { answerProblem, operationFor, schemaProblem, type Doc } from "./conformance.ts";
import { typeErrors } from "./typed-client.ts";

const cbor = new Encoder({ useRecords: false, mapsAsObjects: true, tagUint8Array: false });
const cborDecoder = new Decoder({ useRecords: false, mapsAsObjects: true });
const TOKENS = { "kitchen-token": ["kitchen"], "other-token": ["other"] };
const ADMIN = "admin-token";
const BODY_LIMIT = 4096;

let store: Store;
let host: Host;

beforeAll(async () => {
  store = await tempStore();
  await deployModule(store, "kitchen", join(FIXTURES, "package.json"), join(REPO, "test/fixtures/modules/kitchen-sink.ts"));
  host = createHost({ store, watch: false, logger: createLogger("error"), config: { tokens: TOKENS, adminToken: ADMIN, bodyLimitBytes: BODY_LIMIT, pool: { size: 1 } } });
  await host.ready;
});

afterAll(async () => {
  await host?.close();
  if (store) await rm(store.root, { recursive: true, force: true });
});

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
const json = { "content-type": "application/json" };

async function document(path: string, headers: Record<string, string> = {}): Promise<Doc> {
  const response = await host.app.request(path, { headers });
  expect(response.status).toBe(200);
  const doc = (await response.json()) as Doc;
  const result = await validate(structuredClone(doc) as never);
  expect(result.valid, result.valid ? "" : compileErrors(result)).toBe(true);
  return doc;
}

/** Sends a request to the app and returns the problem with its answer under `doc`, if any. */
async function check(doc: Doc, method: string, path: string, init: { headers?: Record<string, string>; body?: string | Uint8Array } = {}) {
  const response = await host.app.request(path, { method, headers: init.headers, body: init.body as BodyInit });
  const type = response.headers.get("content-type") ?? "";
  const raw = new Uint8Array(await response.arrayBuffer());
  const body = type.startsWith("application/cbor") ? cborDecoder.decode(raw) : type.startsWith("application/json") ? JSON.parse(new TextDecoder().decode(raw)) : new TextDecoder().decode(raw);
  return { status: response.status, body, problem: answerProblem(doc, method, path, response.status, type, body) };
}

describe("GET /openapi.json", () => {
  it("is valid OpenAPI 3.1 and describes every route the app serves", async () => {
    const doc = await document("/openapi.json");
    const served = host.app.routes.filter((r) => r.method !== "ALL");
    expect(served.length).toBeGreaterThan(5);
    for (const route of served) expect(operationFor(doc, route.method, route.path.replace(/:(\w+)/g, "x")), `${route.method} ${route.path}`).toBeDefined();
  });

  it("declares every status and body the routes answer with", async () => {
    const doc = await document("/openapi.json");
    const invoke = "/v1/invoke/kitchen/mirror";
    const row = { s: "a", n: 1, x: 0.5, b: true, raw: "AQI=", list: [1, 2], maybe: null };
    const cases: Array<[string, string, { headers?: Record<string, string>; body?: string | Uint8Array }, number]> = [
      ["GET", "/healthz", {}, 200],
      ["GET", "/readyz", {}, 200],
      ["GET", "/", {}, 200],
      ["GET", "/status/app.js", {}, 200],
      ["GET", "/v1/status", { headers: bearer("kitchen-token") }, 200],
      ["GET", "/v1/status", { headers: bearer("other-token") }, 200],
      ["GET", "/v1/environments", { headers: bearer("kitchen-token") }, 200],
      ["GET", "/v1/environments", {}, 401],
      ["GET", "/v1/environments", { headers: bearer("nobody-issued-this") }, 401],
      ["GET", "/v1/environments/kitchen/openapi.json", { headers: bearer("kitchen-token") }, 200],
      ["GET", "/v1/environments/kitchen/openapi.json", { headers: bearer("other-token") }, 403],
      ["GET", "/v1/environments/nowhere/openapi.json", { headers: bearer(ADMIN) }, 404],
      ["POST", invoke, { headers: { ...json, ...bearer("kitchen-token") }, body: JSON.stringify({ rows: [row] }) }, 200],
      ["POST", invoke, { headers: { "content-type": "application/cbor", ...bearer("kitchen-token") }, body: cbor.encode({ rows: [{ ...row, raw: new Uint8Array([1, 2]) }] }) }, 200],
      ["POST", "/v1/invoke/kitchen/inverse", { headers: { ...json, ...bearer("kitchen-token") }, body: JSON.stringify({ rows: [{ x: 0 }, { x: 2 }] }) }, 200],
      ["POST", invoke, { headers: { ...json, ...bearer("kitchen-token") }, body: JSON.stringify({ rows: [{ ...row, n: 1.5 }] }) }, 400],
      ["POST", invoke, { headers: { "content-type": "application/cbor", ...bearer("kitchen-token") }, body: cbor.encode({ rows: [{ ...row, n: "one" }] }) }, 400],
      ["POST", invoke, { headers: { ...json, ...bearer("kitchen-token") }, body: JSON.stringify([row]) }, 400],
      ["POST", invoke, { headers: { ...json, ...bearer("kitchen-token"), "x-vial-deadline-ms": "soon" }, body: "{}" }, 400],
      ["POST", invoke, { headers: { ...json, ...bearer("other-token") }, body: "{}" }, 403],
      ["POST", "/v1/invoke/nowhere/mirror", { headers: { ...json, ...bearer(ADMIN) }, body: "{}" }, 404],
      ["POST", "/v1/invoke/kitchen/nothing", { headers: { ...json, ...bearer(ADMIN) }, body: "{}" }, 404],
      ["POST", invoke, { headers: { ...json, ...bearer("kitchen-token") }, body: JSON.stringify({ rows: [{ s: "x".repeat(BODY_LIMIT) }] }) }, 413],
      ["POST", invoke, { headers: { "content-type": "text/plain", ...bearer("kitchen-token") }, body: "rows" }, 415],
      ["POST", "/v1/admin/reload", { headers: bearer(ADMIN) }, 200],
      ["POST", "/v1/admin/reload", { headers: { ...json, ...bearer(ADMIN) }, body: '{"env": 3}' }, 400],
      ["POST", "/v1/admin/reload", { headers: bearer("kitchen-token") }, 403],
      ["POST", "/v1/admin/reload", { headers: { ...json, ...bearer(ADMIN) }, body: '{"env": "../kitchen"}' }, 400],
      ["POST", "/v1/invoke/Kitchen/mirror", { headers: { ...json, ...bearer(ADMIN) }, body: "{}" }, 400],
      ["POST", "/v1/invoke/kitchen/not-a-name", { headers: { ...json, ...bearer(ADMIN) }, body: "{}" }, 400],
      ["GET", "/v1/environments/..%2fkitchen/openapi.json", { headers: bearer(ADMIN) }, 400],
      ["GET", "/v1/environments/caf%C3%A9/shadow", { headers: bearer(ADMIN) }, 400],
    ];
    for (const [method, path, init, status] of cases) {
      const answer = await check(doc, method, path, init);
      expect(answer.status, `${method} ${path}: ${JSON.stringify(answer.body).slice(0, 300)}`).toBe(status);
      expect(answer.problem, `${method} ${path} ${status}`).toBeUndefined();
    }
  });

  it("would catch an answer it does not declare", async () => {
    const doc = await document("/openapi.json");
    expect(answerProblem(doc, "GET", "/healthz", 418, "application/json", {})).toMatch(/does not declare status 418/);
    expect(answerProblem(doc, "GET", "/v1/environments", 200, "application/json", { environments: [{ name: 1 }] })).toMatch(/name/);
  });
});

describe("GET /v1/environments/{env}/openapi.json", () => {
  it("gives each function its concrete row schemas, and they agree with what the host takes and answers", async () => {
    const doc = await document("/v1/environments/kitchen/openapi.json", bearer("kitchen-token"));
    expect(Object.keys(doc.paths).sort()).toEqual(["/v1/invoke/kitchen/inverse", "/v1/invoke/kitchen/mirror", "/v1/invoke/kitchen/noisy", "/v1/invoke/kitchen/ranks"]);
    const request = doc.paths["/v1/invoke/kitchen/mirror"]!.post!.requestBody!.content["application/json"]!.schema;
    const row = { s: "a", n: 7, x: 1.25, b: false, raw: "AAE=", list: [3], maybe: "m" };
    const batches = [
      { rows: [row] },
      { rows: [{ ...row, maybe: undefined }] },
      { rows: [{ ...row, n: 2.5 }] },
      { rows: [{ ...row, raw: "not base64!" }] },
      { rows: [{ ...row, list: ["3"] }] },
      { rows: [{ ...row, b: "false" }] },
      { rows: [{ ...row, n: 2 ** 60 }] },
      { rows: [{ ...row, s: undefined }] },
    ];
    let refused = 0;
    for (const batch of batches) {
      const body = JSON.stringify(batch);
      const fits = schemaProblem(doc, request, JSON.parse(body)) === undefined;
      const answer = await check(doc, "POST", "/v1/invoke/kitchen/mirror", { headers: { ...json, ...bearer("kitchen-token") }, body });
      expect(answer.status, body).toBe(fits ? 200 : 400);
      expect(answer.problem, body).toBeUndefined();
      if (!fits) refused++;
    }
    expect(refused).toBe(6);
  });

  it("generates a typed client: rows of the right types compile, wrong ones do not", async () => {
    const doc = await document("/v1/environments/kitchen/openapi.json", bearer("kitchen-token"));
    const client = (row: string) => `
      import type { paths } from "./api";
      type Mirror = paths["/v1/invoke/kitchen/mirror"]["post"];
      type Row = Mirror["requestBody"]["content"]["application/json"]["rows"][number];
      type Answer = Mirror["responses"][200]["content"]["application/json"];
      const row: Row = ${row};
      declare const answer: Answer;
      const size: number | undefined = answer.rows[0]?.size;
      const raw: string | undefined = answer.rows[0]?.raw;
      export { row, size, raw };
    `;
    expect(await typeErrors(doc, client('{ s: "a", n: 1, x: 0.5, b: true, raw: "AQI=", list: [1, 2] }'))).toEqual([]);
    expect((await typeErrors(doc, client('{ s: "a", n: "1", x: 0.5, b: true, raw: "AQI=", list: [1] }'))).join("\n")).toMatch(/'string' is not assignable to type 'number'/);
    expect((await typeErrors(doc, client('{ s: "a", n: 1, x: 0.5, b: true, list: [1] }'))).join("\n")).toMatch(/'raw' is missing/);
  });
});
