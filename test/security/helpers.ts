/**
 * What the security and fault tests share: a host served on loopback whose
 * every response and log line is kept (to search for leaks), raw calls in
 * JSON or CBOR, and listeners that record anything reaching them.
 */
import { createServer as createHttpServer, type Server as HttpServer } from "node:http";
import { createServer as createTcpServer, connect, type Server as TcpServer } from "node:net";
import { createSocket, type Socket as UdpSocket } from "node:dgram";
import { once } from "node:events";
import { fileURLToPath } from "node:url";
import { Encoder } from "cbor-x";
import type { Store } from "../../builds/store.ts";
import type { HostConfig } from "../../host/config.ts";
import { createLogger } from "../../host/logger.ts";
import { serve, type Serving } from "../../host/serve.ts";

export const SECURITY_FIXTURES = fileURLToPath(new URL("./fixtures/", import.meta.url));
export const cbor = new Encoder({ useRecords: false, mapsAsObjects: true, tagUint8Array: false });

export interface Answer {
  status: number;
  headers: Record<string, string>;
  /** The body as sent (for searching); `value` is it decoded, when it decodes. */
  bytes: Buffer;
  value: any;
}

export interface Watched {
  serving: Serving;
  base: string;
  logs: string[];
  answers: Answer[];
  /** POSTs `body` (an object is encoded in `format`; a string or bytes go as they are). */
  post(path: string, body: unknown, opts?: { format?: "json" | "cbor"; headers?: Record<string, string> }): Promise<Answer>;
  invoke(env: string, fn: string, rows: unknown[], format?: "json" | "cbor"): Promise<Answer>;
  /** Everything the host said: bodies, headers, log lines. */
  transcript(): string;
  close(): Promise<void>;
}

export async function watchedHost(store: Store, config: Partial<HostConfig> = {}): Promise<Watched> {
  const logs: string[] = [];
  const answers: Answer[] = [];
  const logger = createLogger("debug", { write: (line: string) => void logs.push(line) });
  const serving = await serve({ store, logger, watch: false, config: { port: 0, ...config } });
  await serving.host.ready;
  const base = serving.address;
  const post: Watched["post"] = async (path, body, opts = {}) => {
    const format = opts.format ?? "json";
    const encoded = typeof body === "string" || body instanceof Uint8Array ? body : format === "json" ? JSON.stringify(body) : new Uint8Array(cbor.encode(body));
    const response = await fetch(base + path, {
      method: "POST",
      headers: { "content-type": `application/${format}`, ...opts.headers },
      body: encoded as BodyInit,
    });
    const bytes = Buffer.from(await response.arrayBuffer());
    let value: unknown;
    try {
      value = response.headers.get("content-type")?.startsWith("application/cbor") ? cbor.decode(bytes) : JSON.parse(bytes.toString("utf8"));
    } catch {
      value = undefined;
    }
    const headers: Record<string, string> = {};
    response.headers.forEach((v, k) => (headers[k] = v));
    const answer = { status: response.status, headers, bytes, value };
    answers.push(answer);
    return answer;
  };
  return {
    serving,
    base,
    logs,
    answers,
    post,
    invoke: (env, fn, rows, format = "json") => post(`/v1/invoke/${env}/${fn}`, { rows }, { format }),
    transcript: () =>
      [...answers.flatMap((a) => [JSON.stringify(a.headers), a.bytes.toString("utf8"), a.bytes.toString("latin1")]), ...logs].join("\n"),
    close: () => serving.shutdown(),
  };
}

/** A TCP, a UDP and an HTTP listener on 127.0.0.1 that record whatever reaches them. */
export interface Listeners {
  tcpPort: number;
  udpPort: number;
  httpUrl: string;
  tcpConnections: string[];
  udpPackets: string[];
  httpRequests: string[];
  /** What reached any listener that was not one of our own markers. */
  strangers(): string[];
  /**
   * Sends one marker of our own to each listener and waits until all three
   * arrived: anything a guest had sent during an earlier call would have
   * arrived first (loopback, in order), so no waiting for "long enough".
   */
  flush(marker: string): Promise<void>;
  close(): Promise<void>;
}

export async function listeners(): Promise<Listeners> {
  const tcpConnections: string[] = [];
  const udpPackets: string[] = [];
  const httpRequests: string[] = [];
  const markers: string[] = [];
  const tcp: TcpServer = createTcpServer((socket) => {
    let data = "";
    socket.on("data", (chunk) => (data += chunk.toString()));
    socket.on("end", () => {
      tcpConnections.push(data);
      socket.end();
    });
    socket.on("error", () => undefined);
  });
  tcp.listen(0, "127.0.0.1");
  await once(tcp, "listening");
  const udp: UdpSocket = createSocket("udp4", (msg) => void udpPackets.push(msg.toString()));
  udp.bind(0, "127.0.0.1");
  await once(udp, "listening");
  const http: HttpServer = createHttpServer((req, res) => {
    httpRequests.push(`${req.method} ${req.url}`);
    res.end("reached");
  });
  http.listen(0, "127.0.0.1");
  await once(http, "listening");
  const portOf = (s: TcpServer | HttpServer) => (s.address() as { port: number }).port;
  const result: Listeners = {
    tcpPort: portOf(tcp),
    udpPort: udp.address().port,
    httpUrl: `http://127.0.0.1:${portOf(http)}`,
    tcpConnections,
    udpPackets,
    httpRequests,
    strangers: () =>
      [...tcpConnections.map((c) => `tcp ${c}`), ...udpPackets.map((p) => `udp ${p}`), ...httpRequests.map((r) => `http ${r}`)].filter(
        (seen) => !markers.some((m) => seen.endsWith(` ${m}`) || seen.endsWith(`/${m}`)),
      ),
    async flush(marker) {
      markers.push(marker);
      const sock = connect(result.tcpPort, "127.0.0.1");
      sock.end(marker);
      sock.on("error", () => undefined);
      const sender = createSocket("udp4");
      sender.send(marker, result.udpPort, "127.0.0.1", () => sender.close());
      await (await fetch(`${result.httpUrl}/${marker}`)).text();
      while (!tcpConnections.includes(marker) || !udpPackets.includes(marker)) await new Promise((r) => setTimeout(r, 10));
    },
    async close() {
      udp.close();
      http.closeAllConnections();
      await Promise.all([new Promise((r) => tcp.close(r)), new Promise((r) => http.close(r))]);
    },
  };
  return result;
}

/** Current resident set size and open file descriptors of this process. */
export async function processFootprint(): Promise<{ rssBytes: number; fds: number }> {
  const { readdir } = await import("node:fs/promises");
  return { rssBytes: process.memoryUsage().rss, fds: (await readdir("/proc/self/fd")).length };
}

/** Publishes a copy of `env`'s current version as environment `copy`: same code, another tenant. */
export async function publishCopy(store: Store, env: string, copy: string): Promise<void> {
  const { cp, readFile, writeFile } = await import("node:fs/promises");
  const version = (await store.current(env))!.version;
  const dir = store.versionDir(copy, version);
  await cp(store.versionDir(env, version), dir, { recursive: true });
  const manifest = JSON.parse(await readFile(`${dir}/manifest.json`, "utf8")) as Record<string, unknown>;
  await writeFile(`${dir}/manifest.json`, JSON.stringify({ ...manifest, environment: copy }));
  await store.writeEnvironment({ ...(await store.readEnvironment(env)), name: copy });
  await store.setCurrent(copy, version);
}

/** True when a response body is well-formed: valid UTF-8 (JSON) or no UTF-8-encoded surrogates (CBOR), and every string well-formed. */
export function wellFormedAnswer(answer: Answer): boolean {
  const strings: string[] = [];
  const walk = (v: unknown): void => {
    if (typeof v === "string") strings.push(v);
    else if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === "object" && !(v instanceof Uint8Array)) Object.values(v).forEach(walk);
  };
  if (answer.value === undefined) return false;
  walk(answer.value);
  const stringsOk = strings.every((s) => (s as string & { isWellFormed(): boolean }).isWellFormed());
  if (answer.headers["content-type"]?.startsWith("application/cbor")) return stringsOk && !/\xED[\xA0-\xBF]/.test(answer.bytes.toString("latin1"));
  try {
    new TextDecoder("utf-8", { fatal: true }).decode(answer.bytes);
  } catch {
    return false;
  }
  return stringsOk && !/\\ud[89a-f][0-9a-f]{2}/i.test(answer.bytes.toString("utf8"));
}

export interface Bystander {
  calls: number;
  failures: number;
  /** Stops calling, once the call under way is answered. */
  stop(): Promise<void>;
}

/** Calls `env`'s `fn` back to back until stopped: an environment that nothing done to another may reach. */
export function callThroughout(host: Watched, env: string, fn: string, rows: unknown[], ok = (answer: Answer) => answer.status === 200): Bystander {
  let running = true;
  let loop: Promise<void> = Promise.resolve();
  const bystander: Bystander = {
    calls: 0,
    failures: 0,
    async stop() {
      running = false;
      await loop;
    },
  };
  loop = (async () => {
    while (running) {
      const answer = await host.invoke(env, fn, rows);
      bystander.calls++;
      if (!ok(answer)) bystander.failures++;
    }
  })();
  return bystander;
}
