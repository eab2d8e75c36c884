/**
 * A hostile Python guest tries every way out it has, through the real host
 * over HTTP on loopback: built from a requirements.txt into a store, deployed,
 * served. Each attempt must fail inside the guest as an ordinary Python
 * exception, reach nothing on this machine and leave the host untouched. A
 * canary secret sits in the host's environment the whole time and must never
 * show up anywhere. A JS environment is served side by side, to check that
 * state left in globals stays within its own environment.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { randomUUID } from "node:crypto";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Store } from "../../builds/store.ts";
import { deployModule, metricValue, REPO, tempStore } from "../host/helpers.ts";
import { listeners, publishCopy, SECURITY_FIXTURES, watchedHost, type Listeners, type Watched } from "./helpers.ts";

const CANARY_NAME = "VIAL_TEST_CANARY_SECRET";
const CANARY = `canary-${randomUUID()}`;
const ENV = "esc-py";
/** The same attempts from an environment with numpy linked into its interpreter. */
const NUMPY_ENV = "esc-py-numpy";
/** The environment the attempts run in: each describe block of attempts sets it. */
let target = ENV;

/** WASI's ENOTCAPABLE: the path resolves under no preopened directory (there are none). */
const NOT_CAPABLE = (path: string) => `denied: PermissionError: [Errno 76] Capabilities insufficient: '${path}'`;
/** The interpreter's socket module exists, but every socket call is ENOTSUP. */
const SOCKET_NOT_SUPPORTED = "denied: OSError: [Errno 58] Not supported";
/** A WASI CPython has no resolver: socket.getaddrinfo is not even defined. */
const NO_RESOLVER = "denied: AttributeError: module '_socket' has no attribute 'getaddrinfo'";

let store: Store;
let host: Watched;
let net: Listeners;
let scratch: string;
let version: string;
const tried: string[] = [];

/** Runs one probe on the Python environment and returns the string the guest reported. */
async function attempt(fn: string, arg: string, env = target): Promise<string> {
  const answer = await host.invoke(env, fn, [{ arg }]);
  expect(answer.status).toBe(200);
  expect(answer.value.errors).toEqual([]);
  const result = answer.value.rows[0].result as string;
  if (env !== "esc-py-b" && !["remember", "recall"].includes(fn)) tried.push(`${env}: ${fn}(${arg}) -> ${result}`);
  return result;
}

/** Sends a marker to every listener and checks nothing else reached any of them. */
async function nothingReached(marker: string): Promise<void> {
  await net.flush(marker);
  expect(net.httpRequests).toContain(`GET /${marker}`);
  expect(net.strangers()).toEqual([]);
}

beforeAll(async () => {
  process.env[CANARY_NAME] = CANARY;
  store = await tempStore();
  scratch = await mkdtemp(join(tmpdir(), "vial-escape-py-"));
  version = await deployModule(store, ENV, join(SECURITY_FIXTURES, "requirements.txt"), join(SECURITY_FIXTURES, "escape_attempts.py"));
  await deployModule(store, NUMPY_ENV, join(REPO, "test/python/fixtures/numpy/requirements.txt"), join(SECURITY_FIXTURES, "escape_attempts.py"));
  // The same Python code as another tenant, and a JS tenant with a global of its own.
  await publishCopy(store, ENV, "esc-py-b");
  await deployModule(store, "abuse-js", join(SECURITY_FIXTURES, "package.json"), join(SECURITY_FIXTURES, "abuse.ts"));
  net = await listeners();
  host = await watchedHost(store, { pool: { size: 1 } });
}, 1_200_000); // a cold cache builds the WASI interpreter first

afterAll(async () => {
  await host?.close();
  await net?.close();
  delete process.env[CANARY_NAME];
  if (store) await rm(store.root, { recursive: true, force: true });
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

describe.each([ENV, NUMPY_ENV])("a Python guest trying to get out (%s)", (env) => {
  beforeAll(() => {
    target = env;
  });

  it("sees an empty os.environ: not the host's variables, not the canary", async () => {
    expect(await attempt("read_env", CANARY_NAME)).toBe("allowed: {}");
    expect(await attempt("read_env", "PATH")).toBe("allowed: {}");
  });

  it("cannot read /etc/passwd, with open() or os.open()", async () => {
    expect(await attempt("read_file", "/etc/passwd")).toBe(NOT_CAPABLE("/etc/passwd"));
    expect(await attempt("read_file_os", "/etc/passwd")).toBe(NOT_CAPABLE("/etc/passwd"));
  });

  it("cannot read the store (its own manifest and module)", async () => {
    const dir = store.versionDir(ENV, version);
    expect(await attempt("read_file", join(dir, "manifest.json"))).toBe(NOT_CAPABLE(join(dir, "manifest.json")));
    expect(await attempt("stat_path", store.root)).toBe(NOT_CAPABLE(store.root));
  });

  it("cannot read the host's source, by absolute or relative path", async () => {
    expect(await attempt("read_file", join(REPO, "host/host.ts"))).toBe(NOT_CAPABLE(join(REPO, "host/host.ts")));
    expect(await attempt("read_file", "host/host.ts")).toBe(NOT_CAPABLE("host/host.ts"));
  });

  it("cannot list / or its working directory", async () => {
    expect(await attempt("list_dir", "/")).toBe(NOT_CAPABLE("/"));
    expect(await attempt("list_dir", ".")).toBe(NOT_CAPABLE("."));
  });

  it("holds no descriptor beyond stdio, and stdin is empty", async () => {
    for (const fd of ["3", "4", "5"]) expect(await attempt("use_descriptor", fd)).toBe("denied: OSError: [Errno 8] Bad file descriptor");
    expect(await attempt("read_stdin", "")).toBe("allowed: ");
  });

  it("cannot write files (the file is not created)", async () => {
    const target = join(scratch, "written-by-guest");
    expect(await attempt("write_file", target)).toBe(NOT_CAPABLE(target));
    expect(await attempt("write_file", "written-by-guest")).toBe(NOT_CAPABLE("written-by-guest"));
    expect(existsSync(target)).toBe(false);
    expect(existsSync(join(REPO, "written-by-guest"))).toBe(false);
    expect(existsSync(join(process.cwd(), "written-by-guest"))).toBe(false);
  });

  it("cannot open a TCP connection (the listener sees none)", async () => {
    expect(await attempt("tcp_connect", String(net.tcpPort))).toBe(SOCKET_NOT_SUPPORTED);
    await nothingReached("py-tcp-check");
  });

  it("cannot send UDP (the listener receives nothing)", async () => {
    expect(await attempt("udp_send", String(net.udpPort))).toBe(SOCKET_NOT_SUPPORTED);
    await nothingReached("py-udp-check");
  });

  it("cannot resolve names", async () => {
    expect(await attempt("dns_lookup", "localhost")).toBe(NO_RESOLVER);
    expect(await attempt("dns_lookup", "127.0.0.1")).toBe(NO_RESOLVER);
  });

  it("cannot make an HTTP request with urllib (the listener sees none)", async () => {
    // urlopen fails at the first thing it needs from the network: resolving the host.
    expect(await attempt("http_request", `${net.httpUrl}/from-urllib`)).toBe(NO_RESOLVER);
    await nothingReached("py-http-check");
  });

  it("cannot spawn a process: subprocess, os.system, os.execv, os.fork (the command's file is not created)", async () => {
    const marker = join(scratch, "spawned");
    expect(await attempt("spawn_subprocess", `touch ${marker}`)).toBe("denied: OSError: [Errno 58] wasi does not support processes.");
    expect(await attempt("spawn_system", `touch ${marker}`)).toBe("denied: AttributeError: module 'os' has no attribute 'system'");
    expect(await attempt("spawn_exec", `touch ${marker}`)).toBe("denied: AttributeError: module 'os' has no attribute 'execv'");
    expect(await attempt("spawn_fork", "")).toBe("denied: AttributeError: module 'os' has no attribute 'fork'");
    expect(existsSync(marker)).toBe(false);
  });

  it("cannot load native code: no ctypes, no dynamic extension loading", async () => {
    expect(await attempt("load_ctypes", "libc.so.6")).toBe("denied: ModuleNotFoundError: No module named '_ctypes'");
    expect(await attempt("load_extension", "/usr/lib/x86_64-linux-gnu/libc.so.6")).toBe(
      "denied: AttributeError: module '_imp' has no attribute 'create_dynamic'",
    );
  });

  it("cannot import anything the build did not snapshot (there are no files to import from)", async () => {
    expect(await attempt("import_new_module", "json.tool")).toBe("denied: ModuleNotFoundError: No module named 'json.tool'");
  });

  it("finds no bridge to host objects (js, pyodide, ...): a bare WASI interpreter", async () => {
    const result = await attempt("host_objects", "");
    expect(result).toMatch(/^allowed: /);
    expect(JSON.parse(result.slice("allowed: ".length))).toMatchObject({ reachable: [], platform: "wasi", executable: "" });
  });
});

describe("instance reuse, Python beside JS", () => {
  beforeAll(() => {
    target = ENV;
  });

  it("keeps module globals across calls on the same instance of one environment (documented)", async () => {
    expect(await attempt("remember", "py-secret")).toBe('["py-secret"]');
    expect(await attempt("recall", "")).toBe('["py-secret"]');
  });

  it("never shows them to another environment: not a JS one, not one running the same Python code", async () => {
    await host.invoke("abuse-js", "remember", [{ secret: "js-secret" }]);
    const js = await host.invoke("abuse-js", "recall", [{}]);
    expect(js.value.rows[0]).toEqual({ secret: "js-secret" });
    expect(js.bytes.toString()).not.toContain("py-secret");
    expect(await attempt("recall", "", "esc-py-b")).toBe("[]");
    expect(await attempt("recall", "")).toBe('["py-secret"]');
  });
});

describe("after every attempt", () => {
  it("the canary appeared in no response body, header or log line, and the host is untouched", async () => {
    // One line per attempt, for the figures in docs/security.md.
    const raised = tried.filter((t) => / -> denied: /.test(t)).length;
    console.log(`[vial-figures] python escape attempts: ${tried.length} tried, ${raised} denied by an exception, ${tried.length - raised} got nothing`);
    expect(tried.length).toBeGreaterThanOrEqual(50);
    expect(host.logs.length).toBeGreaterThan(0);
    expect(host.transcript()).not.toContain(CANARY);
    expect(process.env[CANARY_NAME]).toBe(CANARY);
    expect(net.strangers()).toEqual([]);
    // Every denial was an ordinary exception inside the guest: no instance had to be replaced.
    const metrics = await host.serving.host.metrics.registry.metrics();
    for (const env of [ENV, NUMPY_ENV]) expect(metricValue(metrics, "vial_instance_restarts_total", { env })).toBe(0);
    expect((await fetch(`${host.base}/readyz`)).status).toBe(200);
  });
});
