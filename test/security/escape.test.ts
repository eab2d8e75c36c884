/**
 * A hostile JS guest tries every way out it has, through the real host over
 * HTTP on loopback. Each attempt must fail inside the guest (an ordinary
 * error the guest sees, or an inert stub), reach nothing on this machine,
 * and leave the host untouched. A canary secret sits in the host's
 * environment the whole time and must never show up anywhere.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { randomUUID } from "node:crypto";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Store } from "../../builds/store.ts";
import { deployModule, metricValue, REPO, tempStore } from "../host/helpers.ts";
import { listeners, SECURITY_FIXTURES, watchedHost, type Listeners, type Watched } from "./helpers.ts";

const CANARY_NAME = "VIAL_TEST_CANARY_SECRET";
const CANARY = `canary-${randomUUID()}`;
const NOT_IMPLEMENTED = (what: string) => new RegExp(`^denied: Error: \\[unenv\\] ${what.replace(".", "\\.")} is not implemented`);

let store: Store;
let host: Watched;
let net: Listeners;
let scratch: string;
let version: string;

/** Runs one probe and returns the string the guest reported. */
async function attempt(fn: string, arg: string): Promise<string> {
  const answer = await host.invoke("esc", fn, [{ arg }]);
  expect(answer.status).toBe(200);
  expect(answer.value.errors).toEqual([]);
  return answer.value.rows[0].result as string;
}

beforeAll(async () => {
  process.env[CANARY_NAME] = CANARY;
  store = await tempStore();
  scratch = await mkdtemp(join(tmpdir(), "vial-escape-"));
  version = await deployModule(store, "esc", join(SECURITY_FIXTURES, "package.json"), join(SECURITY_FIXTURES, "escape-attempts.ts"));
  net = await listeners();
  host = await watchedHost(store, { pool: { size: 1 } });
});

afterAll(async () => {
  await host?.close();
  await net?.close();
  delete process.env[CANARY_NAME];
  if (store) await rm(store.root, { recursive: true, force: true });
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

describe("a JS guest trying to get out", () => {
  it("sees an empty environment: not the host's variables, not the canary", async () => {
    expect(await attempt("read_env", CANARY_NAME)).toBe("allowed: {}");
  });

  it("cannot read /etc/passwd", async () => {
    expect(await attempt("read_file", "/etc/passwd")).toMatch(NOT_IMPLEMENTED("fs.readFileSync"));
  });

  it("cannot read the store (its own manifest)", async () => {
    expect(await attempt("read_file", join(store.versionDir("esc", version), "manifest.json"))).toMatch(NOT_IMPLEMENTED("fs.readFileSync"));
  });

  it("cannot read the host's source", async () => {
    expect(await attempt("read_file", join(REPO, "host/host.ts"))).toMatch(NOT_IMPLEMENTED("fs.readFileSync"));
  });

  it("cannot list directories", async () => {
    expect(await attempt("list_dir", store.root)).toMatch(NOT_IMPLEMENTED("fs.readdirSync"));
  });

  it("cannot write files (the file is not created)", async () => {
    const target = join(scratch, "written-by-guest");
    expect(await attempt("write_file", target)).toMatch(NOT_IMPLEMENTED("fs.writeFileSync"));
    expect(existsSync(target)).toBe(false);
  });

  it("cannot open a TCP connection (the listener sees none)", async () => {
    expect(await attempt("tcp_connect", String(net.tcpPort))).toMatch(NOT_IMPLEMENTED("net.connect"));
    await net.flush("tcp-check");
    expect(net.tcpConnections).toContain("tcp-check");
    expect(net.strangers()).toEqual([]);
  });

  it("cannot send UDP: dgram is an inert stub, the listener receives nothing", async () => {
    // unenv's dgram.send returns without doing anything: there is no socket to send from.
    expect(await attempt("udp_send", String(net.udpPort))).toBe("allowed: undefined");
    await net.flush("udp-check");
    expect(net.udpPackets).toContain("udp-check");
    expect(net.strangers()).toEqual([]);
  });

  it("cannot resolve names", async () => {
    expect(await attempt("dns_lookup", "localhost")).toMatch(NOT_IMPLEMENTED("dns.lookup"));
  });

  it("has no fetch (the HTTP listener sees no request)", async () => {
    expect(await attempt("fetch_url", `${net.httpUrl}/from-fetch`)).toMatch(/^denied: TypeError: .*not a function$/);
    await net.flush("fetch-check");
    expect(net.httpRequests).toContain("GET /fetch-check");
    expect(net.strangers()).toEqual([]);
  });

  it("cannot make an HTTP request with node:http (the listener sees none)", async () => {
    expect(await attempt("http_request", `${net.httpUrl}/from-http-get`)).toMatch(NOT_IMPLEMENTED("http.get"));
    await net.flush("http-check");
    expect(net.httpRequests).toContain("GET /http-check");
    expect(net.strangers()).toEqual([]);
  });

  it("cannot spawn a process (the command's file is not created)", async () => {
    const marker = join(scratch, "spawned");
    // unenv's message names the function with a typo ("execSyn"): match the module only.
    expect(await attempt("spawn_process", `touch ${marker}`)).toMatch(/^denied: Error: \[unenv\] child_process\.\w+ is not implemented/);
    expect(existsSync(marker)).toBe(false);
  });

  it("finds none of the host's globals (require, WebAssembly, Worker, ...)", async () => {
    expect(await attempt("host_globals", "")).toBe("allowed: []");
  });
});

describe("after every attempt", () => {
  it("the canary appeared in no response body, header or log line, and the host is untouched", async () => {
    expect(host.answers.length).toBeGreaterThanOrEqual(13);
    expect(host.logs.length).toBeGreaterThan(0);
    expect(host.transcript()).not.toContain(CANARY);
    expect(process.env[CANARY_NAME]).toBe(CANARY);
    // Every denial was an ordinary error inside the guest: no instance had to be replaced.
    const metrics = await host.serving.host.metrics.registry.metrics();
    expect(metricValue(metrics, "vial_instance_restarts_total", { env: "esc" })).toBe(0);
    expect((await fetch(`${host.base}/readyz`)).status).toBe(200);
  });
});
