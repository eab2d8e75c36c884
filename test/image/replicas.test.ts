/**
 * Three replicas of a serving group behind a real load balancer (Debian's
 * HAProxy, installed if missing), each a pod of the rendered Deployment run
 * by `podman kube play`, under steady load: a rolling update to an image
 * carrying a new version of the environment, then a pod killed and replaced.
 * No request may fail; the latency of each phase is printed as a figure.
 *
 * What Kubernetes does around the pods is done here as it would be: the
 * Deployment controller's rolling update (maxSurge 1, maxUnavailable 0: a new
 * pod ready before an old one goes), the endpoints controller's removal of a
 * stopping pod before the kubelet's SIGTERM (the rendered preStop pause), and
 * HAProxy as the Service's load balancer, with health checks on /readyz and
 * retries for requests a dead pod dropped (a vial call is a pure function of
 * its rows: safe to send again).
 */
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { spawn, type ChildProcess } from "node:child_process";
import { connect } from "node:net";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { partial_ratio, ratio } from "fuzzball";
import { buildImage, type BuiltImage } from "../../builds/image/build-image.ts";
import { runEngine } from "../../builds/image/base.ts";
import { deploy } from "../../builds/deploy.ts";
import type { Store } from "../../builds/store.ts";
import { readGroup } from "../../cli/k8s/group.ts";
import { renderObjects, toYaml, type KubernetesObject } from "../../cli/k8s/render.ts";
import { ensureDebianPackage } from "../../testing/debian.ts";
import { EXAMPLE, REPO, deployedStore } from "../k8s/helpers.ts";

const BASELINE = "Mocha Cheesecake Fudge Brownie Bars";
const TEXTS = ["Mocha brownie bars", "cheesecake", "fudge"];
const EXPECTED = { rows: TEXTS.map((text) => ({ similarity: ratio(BASELINE, text), partial_similarity: partial_ratio(BASELINE, text) })), errors: [] };
const REPLICAS = 3;
const CALLERS = 4;
const PORT = 8787;

let store: Store;
let scratch: string;
let images: { v1: BuiltImage; v2: BuiltImage };
let versions: { v1: string; v2: string };
let haproxy: ChildProcess | undefined;
let lbPort: number;
const pods = new Map<string, { ip: string; file: string }>();

const engine = (args: string[]) => runEngine(images.v1.engine, args);

/** One command on HAProxy's runtime API; resolves with its answer. */
function haproxyCommand(command: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(join(scratch, "haproxy.sock"));
    let answer = "";
    socket.on("data", (chunk) => (answer += chunk));
    socket.on("end", () => resolve(answer.trim()));
    socket.on("error", reject);
    socket.end(`${command}\n`);
  });
}

/** A server's status and last check in `show stat`'s CSV. */
function serverStatus(csv: string, name: string): { status?: string; check?: string } {
  const [header = "", ...lines] = csv.split("\n");
  const columns = header.replace(/^# /, "").split(",");
  const row = lines.map((line) => line.split(",")).find((fields) => fields[0] === "pods" && fields[1] === name);
  return { status: row?.[columns.indexOf("status")], check: row?.[columns.indexOf("check_status")] };
}

/** A pod of the rendered Deployment, named `name`, running `image`; resolves once it answers /readyz on its own address. */
async function startPod(name: string, image: BuiltImage): Promise<string> {
  const opts = { name: "replicas", envs: "fuzzy", store: store.root, image: image.tag, min: String(REPLICAS) };
  const deployment = renderObjects(await readGroup(opts), opts).find((o) => o.kind === "Deployment") as unknown as {
    spec: { template: { metadata: object; spec: { containers: Record<string, unknown>[] } } };
  };
  const { spec } = deployment.spec.template;
  // podman publishes a declared container port on the machine, where three pods would collide: the load balancer
  // reaches each pod at its own address, as a Service does.
  const containers = spec.containers.map(({ ports: _ports, ...container }) => container);
  const file = join(scratch, `${name}.yaml`);
  await writeFile(file, toYaml([{ apiVersion: "v1", kind: "Pod", metadata: { name }, spec: { ...spec, containers } } as unknown as KubernetesObject]));
  const played = await engine(["kube", "play", file]);
  expect(played.code, played.stderr).toBe(0);
  const infra = (await engine(["pod", "inspect", "--format", "{{.InfraContainerID}}", name])).stdout.trim();
  const ip = (await engine(["inspect", "--format", "{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}", infra])).stdout.trim();
  expect(ip).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
  await vi.waitFor(async () => expect((await fetch(`http://${ip}:${PORT}/readyz`)).status).toBe(200), { timeout: 120_000, interval: 250 });
  pods.set(name, { ip, file });
  return ip;
}

/** The endpoints controller's part: the pod receives requests through the load balancer. */
async function addBackend(name: string): Promise<void> {
  const { ip } = pods.get(name)!;
  expect(await haproxyCommand(`add server pods/${name} ${ip}:${PORT} check inter 300 fall 2 rise 1`)).toMatch(/New server registered/);
  await haproxyCommand(`enable health pods/${name}`);
  await haproxyCommand(`enable server pods/${name}`);
  // Up once a health check has passed, not merely out of maintenance.
  await vi.waitFor(async () => expect(serverStatus(await haproxyCommand("show stat"), name)).toEqual({ status: "UP", check: "L7OK" }), { timeout: 10_000, interval: 100 });
}

/** No new requests to the pod, and once it has none in flight, out of the balancer. */
async function removeBackend(name: string): Promise<void> {
  await haproxyCommand(`set server pods/${name} state maint`);
  await vi.waitFor(
    async () => expect(await haproxyCommand(`del server pods/${name}`)).toMatch(/Server deleted/),
    { timeout: 30_000, interval: 100 },
  );
}

/** A pod stopped as the kubelet stops one: out of the endpoints, the preStop pause, then SIGTERM within the grace period. */
async function stopPod(name: string): Promise<void> {
  await haproxyCommand(`set server pods/${name} state maint`);
  await new Promise((resolve) => setTimeout(resolve, 1000));
  const stopped = await engine(["stop", "--time", "40", `${name}-vial`]);
  expect(stopped.code, stopped.stderr).toBe(0);
  expect((await engine(["inspect", "--format", "{{.State.ExitCode}}", `${name}-vial`])).stdout.trim()).toBe("0");
  await removeBackend(name);
  await engine(["kube", "down", pods.get(name)!.file]);
  pods.delete(name);
}

interface Call {
  phase: string;
  status: number;
  ms: number;
  right: boolean;
}

/** Callers posting through the load balancer until stopped, each call noted with the phase it started in. */
function steadyLoad(phase: () => string): { stop(): Promise<Call[]> } {
  const calls: Call[] = [];
  let running = true;
  const caller = async () => {
    while (running) {
      const started = performance.now();
      const at = phase();
      try {
        const response = await fetch(`http://127.0.0.1:${lbPort}/v1/invoke/fuzzy/fuzzy_similarity`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ rows: TEXTS.map((text) => ({ text })) }),
        });
        const text = await response.text();
        calls.push({ phase: at, status: response.status, ms: performance.now() - started, right: response.status === 200 && text === JSON.stringify(EXPECTED) });
      } catch {
        calls.push({ phase: at, status: 0, ms: performance.now() - started, right: false });
      }
    }
  };
  const callers = Array.from({ length: CALLERS }, caller);
  return {
    async stop() {
      running = false;
      await Promise.all(callers);
      return calls;
    },
  };
}

const percentile = (values: number[], p: number) => [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor((p / 100) * values.length))]!;

async function servedVersion(name: string): Promise<string> {
  const { environments } = (await (await fetch(`http://${pods.get(name)!.ip}:${PORT}/v1/environments`)).json()) as { environments: { version: string }[] };
  return environments[0]!.version;
}

beforeAll(async () => {
  scratch = await mkdtemp(join(REPO, ".scratch", "vial-replicas-"));
  store = await deployedStore(["fuzzy"], join(REPO, ".scratch"));
  const v1 = await buildImage({ envs: ["fuzzy"], store: store.root, tag: "localhost/vial-replicas-test:v1" });
  const v1Version = (await store.current("fuzzy"))!.version;
  // The next version: the same function, deployed again from a changed file.
  const changed = join(scratch, "features.ts");
  await writeFile(changed, `${await readFile(join(EXAMPLE, "features.ts"), "utf8")}\n// the next version\n`);
  await deploy({ store, env: "fuzzy", modulePath: changed });
  const v2 = await buildImage({ envs: ["fuzzy"], store: store.root, tag: "localhost/vial-replicas-test:v2" });
  images = { v1, v2 };
  versions = { v1: v1Version, v2: (await store.current("fuzzy"))!.version };

  const bin = ensureDebianPackage("haproxy", "/usr/sbin/haproxy");
  lbPort = 18787;
  await writeFile(
    join(scratch, "haproxy.cfg"),
    [
      "global",
      `  stats socket ${join(scratch, "haproxy.sock")} mode 600 level admin`,
      "defaults",
      "  mode http",
      "  timeout connect 1s",
      "  timeout client 30s",
      "  timeout server 30s",
      // A request a dead or closing pod dropped goes to another pod: vial calls are pure functions of their rows.
      "  option http-buffer-request",
      "  retries 3",
      "  option redispatch 1",
      "  retry-on conn-failure empty-response response-timeout",
      "frontend vial",
      `  bind 127.0.0.1:${lbPort}`,
      "  default_backend pods",
      "backend pods",
      "  balance leastconn",
      "  option httpchk",
      "  http-check send meth GET uri /readyz ver HTTP/1.1 hdr Host vial",
      "  http-check expect status 200",
      "",
    ].join("\n"),
  );
  haproxy = spawn(bin, ["-db", "-f", join(scratch, "haproxy.cfg")], { stdio: ["ignore", "ignore", "pipe"] });
  await vi.waitFor(async () => expect(await haproxyCommand("show info")).toMatch(/^Name: HAProxy/m), { timeout: 10_000, interval: 100 });
}, 1_800_000);

afterAll(async () => {
  haproxy?.kill();
  for (const { file } of pods.values()) await engine(["kube", "down", file]);
  if (store) await rm(store.root, { recursive: true, force: true });
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

describe("three replicas behind HAProxy", () => {
  it("lose no request in a rolling update to a new version, nor when a pod is killed and replaced", async () => {
    for (let i = 0; i < REPLICAS; i++) {
      await startPod(`vial-replicas-a${i}`, images.v1);
      await addBackend(`vial-replicas-a${i}`);
    }
    let phase = "steady";
    const load = steadyLoad(() => phase);
    await new Promise((resolve) => setTimeout(resolve, 5000));

    // The rolling update: a new pod ready, then an old one stopped, one at a time.
    phase = "rolling update";
    const rollStarted = performance.now();
    for (let i = 0; i < REPLICAS; i++) {
      await startPod(`vial-replicas-b${i}`, images.v2);
      await addBackend(`vial-replicas-b${i}`);
      await stopPod(`vial-replicas-a${i}`);
    }
    const rollMs = performance.now() - rollStarted;
    phase = "steady after";
    await new Promise((resolve) => setTimeout(resolve, 3000));

    // A pod killed outright: the balancer's health checks take it out, and what it dropped is sent again elsewhere.
    phase = "pod killed";
    const killed = "vial-replicas-b0";
    expect((await engine(["kill", `${killed}-vial`])).code).toBe(0);
    await startPod("vial-replicas-c0", images.v2);
    await addBackend("vial-replicas-c0");
    await removeBackend(killed);
    await engine(["kube", "down", pods.get(killed)!.file]);
    pods.delete(killed);
    await new Promise((resolve) => setTimeout(resolve, 2000));
    const calls = await load.stop();

    const failed = calls.filter((c) => !c.right);
    expect(failed, JSON.stringify(failed.slice(0, 5))).toEqual([]);
    for (const name of pods.keys()) expect(await servedVersion(name)).toBe(versions.v2);
    expect(versions.v2).not.toBe(versions.v1);
    const figures = Object.fromEntries(
      ["steady", "rolling update", "steady after", "pod killed"].map((p) => {
        const ms = calls.filter((c) => c.phase === p).map((c) => c.ms);
        return [p, { calls: ms.length, p50: Number(percentile(ms, 50).toFixed(1)), p99: Number(percentile(ms, 99).toFixed(1)), max: Number(Math.max(...ms).toFixed(1)) }];
      }),
    );
    console.log(`[vial-figures] replicas ${JSON.stringify({ callers: CALLERS, rollingUpdateMs: Math.round(rollMs), phases: figures })}`);
  });
});
