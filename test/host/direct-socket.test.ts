/**
 * Executors serving callers on sockets of their own (`directSockets`): the
 * same answers, tokens, deadlines, limits and admission as the host's route,
 * counted in the host's metrics; a new version, a restarted executor and a
 * shutdown move or remove the socket under the callers.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { request } from "node:http";
import { existsSync } from "node:fs";
import { chmod, mkdir, readdir, rm } from "node:fs/promises";
import { join } from "node:path";
import { Encoder } from "cbor-x";
import type { Store } from "../../builds/store.ts";
import { deploy } from "../../builds/deploy.ts";
import { serve, type Serving } from "../../host/serve.ts";
import { createLogger } from "../../host/logger.ts";
import { createClient } from "../../host/client.ts";
import { directSockets } from "../../host/direct-sockets.ts";
import { DirectListener } from "../../supervision/direct-socket.ts";
import { deployModule, eventually, FIXTURES, metricValue, tempStore } from "./helpers.ts";

const cbor = new Encoder({ useRecords: false, mapsAsObjects: true, tagUint8Array: false });
const TOKENS = { "token-hot": ["hot"], "token-other": ["other"] };

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

/** One request on a unix socket (a connection of its own), or through the host's address. */
function post(where: { socketPath: string } | { base: string }, path: string, body: string | Uint8Array, headers: Record<string, string> = {}): Promise<Answer> {
  const target = "socketPath" in where ? { socketPath: where.socketPath, path } : { host: new URL(where.base).hostname, port: new URL(where.base).port, path };
  return new Promise((resolve, reject) => {
    const req = request({ ...target, method: "POST", headers: { "content-type": "application/json", ...headers }, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on("error", reject);
    req.end(body);
  });
}

const rows = (n: number) => JSON.stringify({ rows: Array.from({ length: n }, (_, i) => ({ n: i })) });
const code = (answer: Answer) => JSON.parse(answer.body.toString()).error?.code;

let store: Store;
let folder: string;
let server: Serving;
const socket = () => ({ socketPath: join(folder, "hot.sock") });

beforeAll(async () => {
  store = await tempStore();
  folder = join(store.root, "direct");
  await deployModule(store, "hot", join(FIXTURES, "package.json"), join(FIXTURES, "counter-v1.ts"));
  server = await serve({
    store,
    watch: false,
    logger: createLogger("warn"),
    config: { port: 0, directSockets: folder, tokens: TOKENS, bodyLimitBytes: 64 * 1024, pool: { size: 1, maxQueue: 1, deadlineMs: 30_000 } },
  });
  await server.host.ready;
}, 300_000);

afterAll(async () => {
  await server?.shutdown();
  if (store) await rm(store.root, { recursive: true, force: true });
});

const auth = { authorization: "Bearer token-hot" };

describe("an executor's own socket", () => {
  it("answers as the host's route does, byte for byte, in JSON and CBOR", async () => {
    const direct = await post(socket(), "/v1/invoke/hot/which", rows(3), auth);
    const routed = await post({ base: server.address }, "/v1/invoke/hot/which", rows(3), auth);
    expect(direct.status).toBe(200);
    expect(JSON.parse(direct.body.toString())).toEqual({ rows: [0, 1, 2].map((n) => ({ n, version: "v1" })), errors: [] });
    expect(direct.body).toEqual(routed.body);
    const body = new Uint8Array(cbor.encode({ rows: [{ n: 7 }] }));
    const cborHeaders = { ...auth, "content-type": "application/cbor" };
    const [directCbor, routedCbor] = [await post(socket(), "/v1/invoke/hot/which", body, cborHeaders), await post({ base: server.address }, "/v1/invoke/hot/which", body, cborHeaders)];
    expect(directCbor.headers["content-type"]).toBe("application/cbor");
    expect(directCbor.body).toEqual(routedCbor.body);
  });

  it("keeps the host's tokens: none, another environment's and an unknown one are refused as the host refuses them", async () => {
    const refusals: Array<Record<string, string>> = [{}, { authorization: "Bearer token-other" }, { authorization: "Bearer nobody-issued-this" }];
    for (const headers of refusals) {
      const direct = await post(socket(), "/v1/invoke/hot/which", rows(1), headers);
      const routed = await post({ base: server.address }, "/v1/invoke/hot/which", rows(1), headers);
      expect([direct.status, code(direct)]).toEqual([routed.status, code(routed)]);
      expect(direct.status).toBeGreaterThanOrEqual(401);
    }
  });

  it("refuses what the host refuses: bad rows, headers, formats, another environment, other routes, bodies over the limit", async () => {
    const cases: Array<[string, string | Uint8Array, Record<string, string>]> = [
      ["/v1/invoke/hot/which", '{"rows":[{"n":"one"}]}', auth],
      ["/v1/invoke/hot/nothing", rows(1), auth],
      ["/v1/invoke/hot/which", rows(1), { ...auth, "x-vial-deadline-ms": "soon" }],
      ["/v1/invoke/hot/which", rows(1), { ...auth, "x-vial-non-finite": "words" }],
      ["/v1/invoke/hot/which", rows(1), { ...auth, "content-type": "text/plain" }],
      ["/v1/invoke/hot/which", "{not json", auth],
      ["/v1/invoke/hot/which", "x".repeat(65 * 1024), auth],
    ];
    for (const [path, body, headers] of cases) {
      const direct = await post(socket(), path, body, headers);
      const routed = await post({ base: server.address }, path, body, headers);
      expect([path, direct.status, code(direct)]).toEqual([path, routed.status, code(routed)]);
      expect(direct.status).toBeGreaterThanOrEqual(400);
    }
    expect((await post(socket(), "/v1/invoke/other/which", rows(1), auth)).status).toBe(404);
    expect(code(await post(socket(), "/v1/environments", "", auth))).toBe("bad_request");
  });

  it("keeps the caller's deadline and the environment's line", async () => {
    const late = await post(socket(), "/v1/invoke/hot/slow", JSON.stringify({ rows: [{ n: 3e9 }] }), { ...auth, "x-vial-deadline-ms": "200" });
    expect([late.status, code(late)]).toEqual([504, "deadline_exceeded"]);
    // One instance, a line of one: of four slow calls at once, at least two are shed with a time to retry.
    const answers = await Promise.all(Array.from({ length: 4 }, () => post(socket(), "/v1/invoke/hot/slow", JSON.stringify({ rows: [{ n: 2e8 }] }), auth)));
    const shed = answers.filter((a) => a.status === 503);
    expect(shed.length).toBeGreaterThanOrEqual(2);
    for (const a of shed) expect([code(a), a.headers["retry-after"]]).toEqual(["overloaded", "1"]);
    expect(answers.filter((a) => a.status === 200).length).toBeGreaterThanOrEqual(1);
  });

  it("is counted in the host's metrics", async () => {
    const before = metricValue(await server.host.metrics.registry.metrics(), "vial_requests_total", { env: "hot", function: "which", status: "200" });
    for (let i = 0; i < 5; i++) expect((await post(socket(), "/v1/invoke/hot/which", rows(1), auth)).status).toBe(200);
    await eventually(async () => metricValue(await server.host.metrics.registry.metrics(), "vial_requests_total", { env: "hot", function: "which", status: "200" }) === before + 5);
  });

  it("moves to a new version's executor, and to a restarted one, at the same path, without a failed call of the client's", async () => {
    // Two callers keep calling through the client on keep-alive connections while the version changes under them.
    const client = createClient({ socketPath: socket().socketPath, token: "token-hot", format: "json" });
    const versions: string[] = [];
    const failures: unknown[] = [];
    let calling = true;
    const caller = async () => {
      while (calling) {
        const answer = await client.invoke("hot", "which", [{ n: 1 }]).catch((error: unknown) => void failures.push(error));
        if (answer) versions.push(answer.rows[0]!.version as string);
      }
    };
    const callers = [caller(), caller()];
    await eventually(() => versions.length > 20);
    await deploy({ store, env: "hot", modulePath: join(FIXTURES, "counter-v2.ts") });
    await server.host.reload();
    await eventually(() => versions.filter((v) => v === "v2").length > 20);
    calling = false;
    await Promise.all(callers);
    await client.close();
    expect(failures).toEqual([]);
    const v2 = await post(socket(), "/v1/invoke/hot/which", rows(1), auth);
    expect(JSON.parse(v2.body.toString()).rows).toEqual([{ n: 0, version: "v2" }]);

    const executor = async () => {
      const listing = await fetch(`${server.address}/v1/environments`, { headers: auth });
      const { environments } = (await listing.json()) as { environments: Array<{ name: string; executor: { pid?: number; status: string; directSocket?: string } }> };
      return environments.find((e) => e.name === "hot")!.executor;
    };
    const { pid, directSocket } = await executor();
    expect(directSocket).toBe(join(folder, "hot.sock"));
    process.kill(pid!, "SIGKILL");
    await eventually(async () => {
      const now = await executor();
      return now.status === "running" && now.pid !== pid;
    });
    await eventually(async () => (await post(socket(), "/v1/invoke/hot/which", rows(1), auth).catch(() => undefined))?.status === 200);
    // Only the published socket is left in the folder: every hidden name of a handed-over listener is gone.
    expect(await readdir(folder)).toEqual(["hot.sock"]);
  });

  it("is gone once the host has shut down", async () => {
    await server.shutdown();
    expect(existsSync(join(folder, "hot.sock"))).toBe(false);
    await expect(post(socket(), "/v1/invoke/hot/which", rows(1), auth)).rejects.toThrow();
  });
});

describe("where executors' own sockets go", () => {
  it("refuses a folder every user may write to, and a socket path the kernel cannot take, saying what to change", async () => {
    const open = join(store.root, "open-to-all");
    await mkdir(open);
    await chmod(open, 0o777);
    const config = { directSockets: open, tokens: {}, bodyLimitBytes: 1024, environmentBufferLimitBytes: 1024, headersTimeoutMs: 1000, keepAliveTimeoutMs: 1000 };
    expect(() => directSockets(config)).toThrow(`may be written by every user, who could put their own socket in an environment's place: make it writable by the host's user only (chmod o-w ${open})`);
    const deep = join(store.root, "a-folder-name-long-enough".repeat(4));
    await mkdir(deep);
    await expect(DirectListener.bind(deep, "hot")).rejects.toThrow(/bytes long .*, and unix sockets take at most 107: choose a shorter directSockets folder/);
    expect(await readdir(deep)).toEqual([]);
  });
});
