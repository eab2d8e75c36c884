/**
 * Names from requests reach no path and no map unchecked: an environment or
 * function name in any route's path, or in an admin reload, that breaks the
 * rule `vial env create` and `vial deploy` follow is refused with 400 saying
 * what names look like, and a complete environment planted where `../x`
 * would lead (outside the store's envs/) is never loaded.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cp, rm } from "node:fs/promises";
import { request } from "node:http";
import { join } from "node:path";
import type { Store } from "../../builds/store.ts";
import { nameProblem } from "../../builds/names.ts";
import { deployModule, REPO, tempStore } from "../host/helpers.ts";
import { watchedHost, type Watched } from "./helpers.ts";

const IDENTITY = join(REPO, "bench", "fixtures", "identity");
const ENV = "calm";
const TOKEN = "calm-token";
const ADMIN = "admin-token";

let store: Store;
let host: Watched;

/** Environment names an attacker would try: ways out of the store, and names that only look like one. */
const BAD_ENVIRONMENTS = ["../x", "..", ".", "%2e%2e", "x/../../x", "/etc", "/tmp/x", "a".repeat(64), "x".repeat(10_000), "café", "саlm", "CALM", "calm ", "calm\n", "", "-calm", "calm\u0000"];
const BAD_FUNCTIONS = ["bad-name", "$dollar", "1st", "a".repeat(129), "naïve", "../identity", ""];

interface Answer {
  status: number;
  body: { error?: { code: string; message: string } } & Record<string, unknown>;
}

/** A raw HTTP request: the path goes out exactly as written (fetch would normalise `..` away before sending). */
function raw(method: string, path: string, headers: Record<string, string> = {}, body?: string): Promise<Answer> {
  const url = new URL(host.base);
  return new Promise((resolve, reject) => {
    const req = request({ host: url.hostname, port: url.port, method, path, headers: { "content-type": "application/json", ...headers } }, (res) => {
      let text = "";
      res.on("data", (chunk) => (text += chunk));
      res.on("end", () => resolve({ status: res.statusCode!, body: JSON.parse(text) as Answer["body"] }));
    });
    req.on("error", reject);
    req.end(body);
  });
}

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
const reload = (env: unknown) => raw("POST", "/v1/admin/reload", bearer(ADMIN), JSON.stringify({ env }));
const served = async () => ((await raw("GET", "/v1/environments", bearer(ADMIN))).body.environments as Array<{ name: string }>).map((e) => e.name);

beforeAll(async () => {
  store = await tempStore();
  await deployModule(store, ENV, join(IDENTITY, "package.json"), join(IDENTITY, "features.ts"));
  // A complete, valid environment where envs/../x leads: the store's root, outside envs/.
  await cp(join(store.root, "envs", ENV), join(store.root, "x"), { recursive: true });
  host = await watchedHost(store, { tokens: { [TOKEN]: [ENV] }, adminToken: ADMIN, pool: { size: 1 } });
}, 300_000);

afterAll(async () => {
  await host?.close();
  if (store) await rm(store.root, { recursive: true, force: true });
});

describe("names in admin calls", () => {
  it("refuses a reload of anything that is not an environment name, and loads nothing from outside envs/", async () => {
    for (const name of [...BAD_ENVIRONMENTS, 42, null, ["calm"]]) {
      const answer = await reload(name);
      expect(answer.status, JSON.stringify(name)).toBe(400);
      expect(answer.body.error!.code).toBe("bad_request");
      expect(answer.body.error!.message, JSON.stringify(name)).toMatch(/environment names are lowercase letters, digits and '-'|body must be/);
    }
    // Quoted back short: a long name is not echoed whole.
    expect((await reload("x".repeat(10_000))).body.error!.message.length).toBeLessThan(400);
    expect(await served()).toEqual([ENV]);
    // A good name still reloads.
    expect((await reload(ENV)).status).toBe(200);
  });

  it("refuses the same names from an embedding process, before the store is asked", async () => {
    for (const name of ["../x", "..", "/etc"]) {
      await expect(host.serving.host.reload(name)).rejects.toThrow(/invalid environment name/);
      expect(() => store.envDir(name)).toThrow(/invalid environment name/);
      await expect(store.current(name)).rejects.toThrow(/invalid environment name/);
    }
    expect(await served()).toEqual([ENV]);
  });
});

describe("names in paths", () => {
  /** Every declared route with names in its path, from the host's own document: none is left out. */
  async function namedRoutes(): Promise<Array<{ method: string; path: string }>> {
    const doc = (await (await fetch(`${host.base}/openapi.json`)).json()) as { paths: Record<string, Record<string, unknown>> };
    return Object.entries(doc.paths)
      .filter(([path]) => path.includes("{"))
      .flatMap(([path, methods]) => Object.keys(methods).map((method) => ({ method: method.toUpperCase(), path })));
  }

  it("answers 400 for every bad environment or function name in every route, or no route at all, and never reaches the environment", async () => {
    const routes = await namedRoutes();
    expect(routes.map((r) => r.path)).toEqual(expect.arrayContaining(["/v1/invoke/{env}/{fn}", "/v1/environments/{env}/openapi.json", "/v1/environments/{env}/shadow"]));
    const body = JSON.stringify({ rows: [{ id: 1, text: "x" }] });
    for (const { method, path } of routes) {
      const tries = [
        ...BAD_ENVIRONMENTS.map((env) => path.replace("{env}", encodeURIComponent(env)).replace("{fn}", "identity")),
        // Written raw: dot segments and encoded slashes as an attacker sends them.
        ...["..", "%2e%2e", "..%2fx", "%2e%2e%2fx", "%2fetc"].map((env) => path.replace("{env}", env).replace("{fn}", "identity")),
        ...(path.includes("{fn}") ? BAD_FUNCTIONS.map((fn) => path.replace("{env}", ENV).replace("{fn}", encodeURIComponent(fn))) : []),
      ];
      for (const target of tries) {
        const answer = await raw(method, target, bearer(TOKEN), method === "POST" ? body : undefined);
        const what = `${method} ${target.slice(0, 120)}: ${JSON.stringify(answer.body).slice(0, 200)}`;
        // A dot segment is resolved by the URL parser first and leaves a path no route has (404 bad_request "no route").
        expect([400, 404], what).toContain(answer.status);
        expect(answer.body.error!.code, what).toBe("bad_request");
        expect(answer.body.error!.message, what).toMatch(answer.status === 400 ? /(environment|function) names are/ : /^no route /);
      }
    }
  });

  it("checks a name after the token: without one, a caller learns nothing but 401", async () => {
    const answer = await raw("POST", "/v1/invoke/..%2fx/identity", {}, "{}");
    expect(answer.status).toBe(401);
    expect(answer.body.error!.code).toBe("unauthorized");
  });

  it("serves good names as before: a call, an unknown function shaped like a prototype key, a forbidden environment", async () => {
    expect((await raw("POST", `/v1/invoke/${ENV}/identity`, bearer(TOKEN), JSON.stringify({ rows: [{ id: 1, text: "ok" }] }))).status).toBe(200);
    for (const fn of ["__proto__", "constructor", "toString"]) {
      const answer = await raw("POST", `/v1/invoke/${ENV}/${fn}`, bearer(TOKEN), "{}");
      expect(answer.status, fn).toBe(404);
      expect(answer.body.error!.code).toBe("unknown_function");
    }
    expect((await raw("POST", "/v1/invoke/other/identity", bearer(TOKEN), "{}")).status).toBe(403);
  });
});

describe("the rule", () => {
  it("takes the names both SDKs give functions, and what env create takes, and nothing else", () => {
    // JS: a transformation's export name; Python: the decorated function's name. Both are identifiers; ASCII only.
    for (const fn of ["fuzzy_similarity", "_private", "Score2", "x".repeat(128)]) expect(nameProblem("function", fn)).toBeUndefined();
    for (const fn of BAD_FUNCTIONS) expect(nameProblem("function", fn)).toMatch(/function names are identifiers/);
    for (const env of ["calm", "fuzzy-py", "a".repeat(63), "x1-2"]) expect(nameProblem("environment", env)).toBeUndefined();
    for (const env of BAD_ENVIRONMENTS) expect(nameProblem("environment", env)).toMatch(/environment names are/);
  });
});
