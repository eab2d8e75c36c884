/**
 * Anonymous connections cannot take the host's descriptors: a flood of idle
 * connections from many addresses, up to and past the per-client and the
 * overall limits, at `vial serve` allowed 512 descriptors, while a tenant's
 * calls go on, an executor killed during the flood restarts and /healthz
 * answers; and with the default settings, connections that never passed
 * authentication are closed once idle while an authenticated one stays.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { connect, type Socket } from "node:net";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { Client, Pool, type Dispatcher } from "undici";
import type { Store } from "../../builds/store.ts";
import { createLogger } from "../../host/logger.ts";
import { serve, type Serving } from "../../host/serve.ts";
import { clientAddress } from "../../host/connections.ts";
import { deployModule, eventually, metricValue, REPO, tempStore } from "../host/helpers.ts";

const IDENTITY = join(REPO, "bench", "fixtures", "identity");
const [CALM, VICTIM] = ["calm", "victim"];
const TOKENS = { "calm-token": [CALM], "ops-token": ["*"] };
const DESCRIPTORS = 512;
const ROW = JSON.stringify({ rows: [{ id: 1, text: "still here" }] });

interface Limits {
  descriptorLimit: number;
  reservedDescriptors: number;
  maxConnections: number;
  maxConnectionsPerClient: number;
  anonymousIdleTimeoutMs: number;
}

let store: Store;

beforeAll(async () => {
  store = await tempStore();
  await deployModule(store, CALM, join(IDENTITY, "package.json"), join(IDENTITY, "features.ts"));
  await deployModule(store, VICTIM, join(IDENTITY, "package.json"), join(IDENTITY, "features.ts"));
}, 300_000);

afterAll(async () => {
  if (store) await rm(store.root, { recursive: true, force: true });
});

/** A connection that sends nothing (or `request`, then nothing), from `localAddress`; `closed` settles when the host closes it. */
function idleConnection(base: string, localAddress = "127.0.0.1", request?: string): { socket: Socket; closed: Promise<void>; received: () => string } {
  const url = new URL(base);
  const socket = connect({ host: url.hostname, port: Number(url.port), localAddress });
  let data = "";
  socket.on("error", () => undefined).on("data", (chunk) => (data += chunk.toString("latin1")));
  if (request) socket.write(request);
  return { socket, closed: new Promise((resolve) => socket.once("close", () => resolve())), received: () => data };
}

const connected = (socket: Socket) => new Promise<void>((resolve) => (socket.connecting ? socket.once("connect", () => resolve()).once("close", () => resolve()) : resolve()));

const invoke = (env: string, token: string) =>
  `POST /v1/invoke/${env}/identity HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\nauthorization: Bearer ${token}\r\ncontent-length: ${ROW.length}\r\n\r\n${ROW}`;

/** One call, on `pool`'s connections or on a new one. */
async function call(base: string, env: string, token: string, pool?: Dispatcher): Promise<number> {
  const client = pool ?? new Client(base);
  try {
    const res = await client.request({ method: "POST", path: `/v1/invoke/${env}/identity`, headers: { "content-type": "application/json", authorization: `Bearer ${token}` }, body: ROW });
    await res.body.text();
    return res.statusCode;
  } finally {
    if (!pool) await client.close();
  }
}

const fetchFresh = async (base: string, path: string, token?: string) => {
  const client = new Client(base);
  try {
    const res = await client.request({ method: "GET", path, headers: token ? { authorization: `Bearer ${token}` } : {} });
    return { status: res.statusCode, text: await res.body.text() };
  } finally {
    await client.close();
  }
};

describe(`a flood of idle connections at vial serve allowed ${DESCRIPTORS} descriptors`, () => {
  let server: ChildProcess;
  let base: string;
  let limits: Limits;
  const logs: Array<Record<string, unknown>> = [];
  const events = async (event: string) => metricValue((await fetchFresh(base, "/metrics", "ops-token")).text, "vial_client_events_total", { event });
  const openDescriptors = async () => (await readdir(`/proc/${server.pid}/fd`)).length;

  beforeAll(async () => {
    const config = join(store.root, "low.config.json");
    // Idle connections stay for the whole test: the flood is cut by the limits alone.
    await writeFile(config, JSON.stringify({ port: 0, tokens: TOKENS, pool: { size: 1 }, anonymousIdleTimeoutMs: 600_000 }));
    server = spawn("sh", ["-c", `ulimit -n ${DESCRIPTORS} && exec "$0" "$@"`, process.execPath, join(REPO, "bin/vial.js"), "serve", "--store", store.root, "--config", config], {
      cwd: REPO,
      stdio: ["ignore", "pipe", "inherit"],
    });
    createInterface({ input: server.stdout! }).on("line", (line) => logs.push(JSON.parse(line) as Record<string, unknown>));
    await eventually(() => logs.some((l) => l.msg === "host ready"));
    const listening = logs.find((l) => typeof l.address === "string")!;
    base = listening.address as string;
    limits = { ...(listening.connections as Limits), anonymousIdleTimeoutMs: 600_000 };
  }, 120_000);

  afterAll(async () => {
    server?.kill("SIGTERM");
    if (server) await new Promise((resolve) => server.once("exit", resolve));
  });

  it("derives its limits from the descriptors it may open, keeps a reserve, and reports them", async () => {
    expect(limits.descriptorLimit).toBe(DESCRIPTORS);
    expect(limits.reservedDescriptors).toBeGreaterThanOrEqual(64);
    expect(limits.maxConnections + limits.reservedDescriptors).toBeLessThanOrEqual(DESCRIPTORS);
    expect(limits.maxConnectionsPerClient).toBeLessThan(limits.maxConnections);
    const listed = JSON.parse((await fetchFresh(base, "/v1/environments", "ops-token")).text) as { connections: Limits };
    expect(listed.connections).toMatchObject({ descriptorLimit: DESCRIPTORS, maxConnections: limits.maxConnections, maxConnectionsPerClient: limits.maxConnectionsPerClient });
  });

  it("drops what is past the limits at once, and meanwhile serves the tenant, restarts a killed executor and answers /healthz", async () => {
    const tenant = new Pool(base, { connections: 2 });
    expect(await Promise.all([call(base, CALM, "calm-token", tenant), call(base, CALM, "calm-token", tenant)])).toEqual([200, 200]);
    const before = { client: await events("client_connection_limit"), evicted: await events("anonymous_evicted") };

    // Enough addresses that their share of connections is more than the host's; each tries a few past its own share.
    const addresses = Array.from({ length: Math.ceil(limits.maxConnections / limits.maxConnectionsPerClient) + 2 }, (_, i) => `127.0.0.${i + 2}`);
    const extra = 4;
    const flood: Array<{ address: string; socket: Socket; closed: Promise<void> }> = [];
    let mostDescriptors = 0;
    for (const [i, address] of addresses.entries()) {
      // Some only connect; some send a request without a token, get their 401 and stay.
      const request = i % 2 ? `GET /v1/environments HTTP/1.1\r\nhost: x\r\n\r\n` : undefined;
      const opened = Array.from({ length: limits.maxConnectionsPerClient + extra }, () => ({ address, ...idleConnection(base, address, request) }));
      await Promise.all(opened.map((c) => connected(c.socket)));
      flood.push(...opened);
      // The host has taken this address's connections once it has dropped the ones past its share.
      await eventually(async () => (await events("client_connection_limit")) - before.client >= (i + 1) * extra);
      mostDescriptors = Math.max(mostDescriptors, await openDescriptors());
    }
    expect((await events("client_connection_limit")) - before.client).toBe(addresses.length * extra);
    // Past the overall limit, the longest-idle anonymous connections made room for the newer ones.
    expect((await events("anonymous_evicted")) - before.evicted).toBeGreaterThan(0);

    const stillOpen = () => flood.filter((c) => !c.socket.destroyed);
    const open = (await fetchFresh(base, "/metrics", "ops-token")).text;
    expect(metricValue(open, "vial_open_connections")).toBeLessThanOrEqual(limits.maxConnections);
    for (const address of addresses) expect(stillOpen().filter((c) => c.address === address).length).toBeLessThanOrEqual(limits.maxConnectionsPerClient);

    // (a) The tenant: on its keep-alive connections and on new ones.
    const tenantCalls = await Promise.all([...Array.from({ length: 20 }, () => call(base, CALM, "calm-token", tenant)), ...Array.from({ length: 5 }, () => call(base, CALM, "calm-token"))]);
    expect(tenantCalls.filter((s) => s !== 200)).toEqual([]);
    // (b) An executor killed now restarts: it needs descriptors, and finds them.
    const executorOf = async () => (JSON.parse((await fetchFresh(base, "/v1/environments", "ops-token")).text) as { environments: Array<{ name: string; executor: { pid: number; status: string } }> }).environments.find((e) => e.name === VICTIM)!.executor;
    const killed = (await executorOf()).pid;
    process.kill(killed, "SIGKILL");
    await eventually(async () => {
      const now = await executorOf();
      return now.pid !== killed && now.status === "running";
    });
    expect(await call(base, VICTIM, "ops-token")).toBe(200);
    // (c) Health checks on new connections.
    for (let i = 0; i < 5; i++) expect((await fetchFresh(base, "/healthz")).status).toBe(200);
    mostDescriptors = Math.max(mostDescriptors, await openDescriptors());
    expect(mostDescriptors).toBeLessThan(DESCRIPTORS);
    expect(logs.filter((l) => /EMFILE/.test(JSON.stringify(l)))).toEqual([]);

    console.log(`[vial-figures] connection-flood ${JSON.stringify({ limits, attempted: flood.length, open: stillOpen().length, mostDescriptors, tenantCalls: tenantCalls.length })}`);
    for (const c of flood) c.socket.destroy();
    await tenant.close();
  });
});

describe("idle connections, default settings", () => {
  let serving: Serving;
  let limits: Limits;

  beforeAll(async () => {
    serving = await serve({ store, watch: false, logger: createLogger("warn"), config: { port: 0, tokens: TOKENS, pool: { size: 1 } } });
    await serving.host.ready;
    limits = (JSON.parse((await fetchFresh(serving.address, "/v1/environments", "ops-token")).text) as { connections: Limits }).connections;
  });

  afterAll(async () => {
    await serving?.shutdown();
  });

  it("are bounded by this process's own descriptor limit, with a reserve", async () => {
    const soft = Number(/^Max open files\s+(\d+)/m.exec(await readFile("/proc/self/limits", "utf8"))![1]);
    expect(limits.descriptorLimit).toBe(soft);
    expect(limits.reservedDescriptors).toBeGreaterThanOrEqual(Math.max(64, soft / 10));
    expect(limits.maxConnections + limits.reservedDescriptors).toBeLessThanOrEqual(soft);
  });

  it("are closed by the host when they never carried an authenticated request; one that did stays", async () => {
    const events = async (event: string) => metricValue(await serving.host.metrics.registry.metrics(), "vial_client_events_total", { event });
    const before = await events("anonymous_idle");
    // Opened first and answered before the others connect, so it has been idle the longest of all.
    const trusted = idleConnection(serving.address, "127.0.0.1", invoke(CALM, "calm-token"));
    await eventually(() => /^HTTP\/1\.1 200 /.test(trusted.received()));
    const silent = idleConnection(serving.address);
    const refused = idleConnection(serving.address, "127.0.0.1", `GET /v1/environments HTTP/1.1\r\nhost: x\r\n\r\n`);
    const health = idleConnection(serving.address, "127.0.0.1", `GET /healthz HTTP/1.1\r\nhost: x\r\n\r\n`);
    await Promise.all([silent.closed, refused.closed, health.closed]);
    expect(refused.received()).toMatch(/^HTTP\/1\.1 401 /);
    expect(health.received()).toMatch(/^HTTP\/1\.1 200 /);
    expect((await events("anonymous_idle")) - before).toBe(3);
    // The authenticated connection, idle all that time, is open and still carries calls.
    expect(trusted.socket.destroyed).toBe(false);
    trusted.socket.write(invoke(CALM, "calm-token"));
    await eventually(() => trusted.received().match(/HTTP\/1\.1 200 /g)?.length === 2);
    trusted.socket.destroy();
  });
});

describe("who counts as one client", () => {
  it("every client of a unix socket: past the per-client limit there, connections are dropped", async () => {
    const dir = await mkdtemp(join(tmpdir(), "vial-socket-"));
    const socket = join(dir, "vial.sock");
    const sidecar = await serve({ store, watch: false, logger: createLogger("warn"), config: { socket, maxConnectionsPerClient: 2, pool: { size: 1 } } });
    try {
      await sidecar.host.ready;
      const events = async () => metricValue(await sidecar.host.metrics.registry.metrics(), "vial_client_events_total", { event: "client_connection_limit" });
      const before = await events();
      const [first, second, third] = [0, 1, 2].map(() => connect(socket).on("error", () => undefined));
      await Promise.all([first, second, third].map((c) => connected(c!)));
      await eventually(async () => (await events()) === before + 1);
      // The one past the limit is closed by the host; the other two stay.
      await eventually(() => [first, second, third].some((c) => c!.destroyed));
      expect([first, second, third].filter((c) => !c!.destroyed)).toHaveLength(2);
      for (const c of [first, second, third]) c!.destroy();
    } finally {
      await sidecar.shutdown();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("an IPv4 address, or an IPv6 client by its /64", () => {
    expect(clientAddress({ remoteAddress: "10.0.0.1" })).toBe("10.0.0.1");
    expect(clientAddress({ remoteAddress: "::ffff:10.0.0.1" })).toBe("10.0.0.1");
    expect(clientAddress({ remoteAddress: "2001:db8:1:2:aaaa::1" })).toBe(clientAddress({ remoteAddress: "2001:db8:1:2:bbbb:cccc:dddd:2" }));
    expect(clientAddress({ remoteAddress: "2001:db8:1:2::1" })).not.toBe(clientAddress({ remoteAddress: "2001:db8:1:3::1" }));
    expect(clientAddress({ remoteAddress: "::1" })).toBe("0:0:0:0::/64");
    expect(clientAddress({ remoteAddress: undefined })).toBe("unix");
  });
});
