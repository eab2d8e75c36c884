/**
 * The serving image, built for real by the documented command's code
 * (`npm run image`) with podman (installed if missing), on a base made here
 * when no registry answers, and run: as its non-root user, with a read-only
 * root, no network and no capabilities, serving a V8, a QuickJS and a
 * Python environment on a unix socket in a mounted folder; then what `vial k8s
 * render` prints, run by `podman kube play` with its security contexts: the
 * serving group, stopped while it works; the sidecar form beside a feature
 * server; and the offline Job's shards, merged.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { partial_ratio, ratio } from "fuzzball";
import { buildImage, type BuiltImage } from "../../builds/image/build-image.ts";
import { runEngine } from "../../builds/image/base.ts";
import type { Store } from "../../builds/store.ts";
import { createClient, type VialClient } from "../../host/client.ts";
import { renderCommand, renderObjects, toYaml, type KubernetesObject } from "../../cli/k8s/render.ts";
import { readGroup } from "../../cli/k8s/group.ts";
import { EXAMPLE, REPO, deployedStore } from "../k8s/helpers.ts";
import { createEnvironment } from "../../builds/env-create.ts";
import { deploy } from "../../builds/deploy.ts";
import { callNative, fuzzyRequirements } from "../../testing/python.ts";

const BASELINE = "Mocha Cheesecake Fudge Brownie Bars";
const TEXTS = ["Mocha brownie bars", "cheesecake", "fudge"];
const MAX_IMAGE_BYTES = 450e6;
const PYTHON_EXAMPLE = join(REPO, "examples", "python", "fuzzy_similarity.py");
/** The default pool's instances per environment. */
const POOL_SIZE = 2;

let store: Store;
let image: BuiltImage;
let socketDir: string;
let container: string | undefined;
let client: VialClient | undefined;

const engine = (args: string[]) => runEngine(image.engine, args);

interface Listing {
  environments: { name: string; executor: { kernel?: { noNewPrivileges: boolean; seccompFilters: number } } }[];
  sandbox: { confinement: { available: boolean; landlock?: unknown; seccomp?: unknown; denied?: Record<string, string> }; warnings: string[] } & Record<string, unknown>;
}

/** The executors' own layers hold, and every executor carries at least `filters` seccomp filters (the runtime's and its own two). */
function expectConfined(listing: Listing, filters: number): void {
  const { confinement } = listing.sandbox;
  expect(confinement, listing.sandbox.warnings.join("\n")).toMatchObject({ available: true, landlock: expect.any(Number), seccomp: true });
  for (const [attempt, outcome] of Object.entries(confinement.denied!)) expect(outcome, attempt).not.toBe("allowed");
  for (const { name, executor } of listing.environments) {
    expect(executor.kernel?.noNewPrivileges, name).toBe(true);
    expect(executor.kernel?.seccompFilters, name).toBeGreaterThanOrEqual(filters);
  }
}

beforeAll(async () => {
  store = await deployedStore(["fuzzy"], join(REPO, ".scratch"));
  await createEnvironment({ name: "fuzzy-qjs", requirements: join(EXAMPLE, "package.json"), store, engine: "quickjs" });
  await deploy({ store, env: "fuzzy-qjs", modulePath: join(EXAMPLE, "features.ts") });
  await createEnvironment({ name: "fuzzy-py", requirements: await fuzzyRequirements(), store });
  await deploy({ store, env: "fuzzy-py", modulePath: PYTHON_EXAMPLE });
  image = await buildImage({ envs: ["fuzzy", "fuzzy-qjs", "fuzzy-py"], store: store.root, tag: "localhost/vial-image-test:latest" });
  socketDir = await mkdtemp(join(REPO, ".scratch", "vial-image-socket-"));
  await chmod(socketDir, 0o777); // the image's user (uid 10001) makes its socket here
}, 1_800_000);

afterAll(async () => {
  await client?.close();
  if (container) await engine(["rm", "--force", "--time", "5", container]);
  if (store) await rm(store.root, { recursive: true, force: true });
  if (socketDir) await rm(socketDir, { recursive: true, force: true });
});

describe("the serving image", () => {
  it("is at most 450 MB and holds no build toolchain", async () => {
    expect(image.bytes).toBeLessThanOrEqual(MAX_IMAGE_BYTES);
    console.log(`[vial-figures] serving image with a V8, a QuickJS and a Python environment: ${(image.bytes / 1e6).toFixed(0)} MB`);
    const listing = await engine(["run", "--rm", "--network", "none", "--entrypoint", "ls", image.tag, "/app/node_modules", "/app/node_modules/@bytecodealliance"]);
    expect(listing.stdout).toMatch(/\bhono\b/);
    expect(listing.stdout).not.toMatch(/typescript|binaryen|componentize/);
    expect(listing.stderr).toMatch(/@bytecodealliance.*No such file/);
  });

  it("says that building needs the full install, and builds nothing", async () => {
    const result = await engine(["run", "--rm", "--network", "none", image.tag, "deploy", "/app/package.json", "--env", "fuzzy"]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/this command builds, and this install of vial serves only \(.+ is not installed\)/);
  });

  it("serves its environments on a socket as a non-root user, with a read-only root, no network and no capabilities", async () => {
    const started = await engine([
      "run", "--detach", "--network", "none", "--read-only", "--tmpfs", "/tmp", "--cap-drop", "ALL", "--security-opt", "no-new-privileges",
      "--volume", `${socketDir}:/run/vial`, image.tag, "serve", "--socket", "/run/vial/vial.sock",
    ]);
    expect(started.code, started.stderr).toBe(0);
    container = started.stdout.trim();
    const socket = join(socketDir, "vial.sock");
    await vi.waitFor(() => expect(existsSync(socket)).toBe(true), { timeout: 60_000, interval: 200 });
    client = createClient({ socketPath: socket, format: "json" });

    const listing = await vi.waitFor(
      async () => {
        const answer = (await client!.environments()) as { environments: { name: string; engine: { running: string }; pool: { idle: number } }[]; sandbox: Record<string, unknown> };
        // Listening comes before loading: wait for both, warm.
        expect(answer.environments.filter((e) => e.pool.idle === POOL_SIZE).map((e) => e.name).sort()).toEqual(["fuzzy", "fuzzy-py", "fuzzy-qjs"]);
        return answer;
      },
      { timeout: 60_000, interval: 200 },
    );
    expect(Object.fromEntries(listing.environments.map((e) => [e.name, e.engine.running]))).toEqual({ fuzzy: "v8", "fuzzy-qjs": "component", "fuzzy-py": "component" });
    expect(listing.sandbox).toMatchObject({ noNewPrivileges: true, permissionModel: true, user: expect.stringMatching(/uid 10001/) });
    expectConfined(listing as unknown as Listing, 3);

    for (const env of ["fuzzy", "fuzzy-qjs"]) {
      const { rows, errors } = await client.invoke(env, "fuzzy_similarity", TEXTS.map((text) => ({ text })));
      expect(errors).toEqual([]);
      expect(rows).toEqual(TEXTS.map((text) => ({ similarity: ratio(BASELINE, text), partial_similarity: partial_ratio(BASELINE, text) })));
    }
    const rows = TEXTS.map((text) => ({ text }));
    expect(await client.invoke("fuzzy-py", "fuzzy_similarity", rows)).toEqual(callNative(PYTHON_EXAMPLE, "fuzzy_similarity", rows));
    // A call stopped at its deadline: its isolate is replaced, one more isolate's reservation for a moment (512 MiB
    // of the data segment on this image's Node), and the executor lives on.
    const many = Array.from({ length: 20_000 }, (_, i) => ({ text: `${TEXTS[i % TEXTS.length]} ${i}` }));
    await expect(client.invoke("fuzzy", "fuzzy_similarity", many, { deadlineMs: 20 })).rejects.toThrow(/deadline/);
    await vi.waitFor(
      async () => {
        const { environments } = (await client!.environments()) as { environments: { name: string; pool: { idle: number }; executor: { restarts: number } }[] };
        expect(environments.find((e) => e.name === "fuzzy")).toMatchObject({ pool: { idle: POOL_SIZE }, executor: { restarts: 0 } });
      },
      { timeout: 30_000, interval: 200 },
    );
    const status = await engine(["exec", container, "sh", "-c", "id -u; grep -E '^(CapEff|NoNewPrivs)' /proc/1/status"]);
    expect(status.stdout.split("\n")[0]).toBe("10001");
    expect(status.stdout).toMatch(/CapEff:\s+0+\n/);
  });

  it("stops on SIGTERM, draining, within the engine's grace period", async () => {
    const stopped = await engine(["stop", "--time", "20", container!]);
    expect(stopped.code, stopped.stderr).toBe(0);
    const state = await engine(["inspect", "--format", "{{.State.ExitCode}}", container!]);
    expect(state.stdout.trim()).toBe("0");
  });
});

describe("the serving group vial k8s render prints, run by podman kube play", () => {
  let manifests: string;
  let base: string;

  beforeAll(async () => {
    manifests = join(socketDir, "group.yaml");
    // A deadline long enough for calls queued behind each other on a loaded machine, shipped as the ConfigMap.
    const config = join(socketDir, "vial.config.json");
    await writeFile(config, JSON.stringify({ pool: { deadlineMs: 30_000 } }));
    await writeFile(manifests, await renderCommand({ name: "image-test", envs: "fuzzy,fuzzy-qjs", store: store.root, image: image.tag, min: "1", config }));
  });

  afterAll(async () => {
    await engine(["kube", "down", manifests]);
  });

  it("starts the Deployment's pod with its security contexts, becomes ready, and serves", async () => {
    const played = await engine(["kube", "play", manifests]);
    expect(played.code, played.stderr).toBe(0);
    // podman publishes the container's port on the machine (kube play has no option to move it).
    base = "http://127.0.0.1:8787";
    await vi.waitFor(async () => expect((await fetch(`${base}/readyz`)).status).toBe(200), { timeout: 90_000, interval: 250 });
    const status = await engine(["exec", "vial-image-test-pod-0-vial", "sh", "-c", "id -u; grep -E '^(CapEff|NoNewPrivs|Seccomp):' /proc/1/status; touch /app/x 2>&1 || true"]);
    expect(status.stdout).toMatch(/^10001\nCapEff:\s+0+\nNoNewPrivs:\s+1\nSeccomp:\s+2\n/);
    expect(status.stdout).toMatch(/Read-only file system/);
    const listing = (await (await fetch(`${base}/v1/environments`)).json()) as Listing;
    expect(listing.sandbox).toMatchObject({ noNewPrivileges: true, permissionModel: true, user: expect.stringMatching(/uid 10001/) });
    // No namespaces in a pod: the layers executors set on themselves hold, each executor with a filter of its own
    // on top of the runtime's, and the native probe was denied everything.
    expectConfined(listing, 3);
    const answer = await fetch(`${base}/v1/invoke/fuzzy/fuzzy_similarity`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ rows: TEXTS.map((text) => ({ text })) }) });
    expect(await answer.json()).toEqual({ rows: TEXTS.map((text) => ({ similarity: ratio(BASELINE, text), partial_similarity: partial_ratio(BASELINE, text) })), errors: [] });
  });

  it("drains on stop: every call sent before it is answered, within the grace period", async () => {
    const rows = Array.from({ length: 300 }, (_, i) => ({ text: `${TEXTS[i % TEXTS.length]} ${i}` })); // queued behind each other, within the configured deadline
    let answered = 0;
    const calls = Array.from({ length: 12 }, (_, i) =>
      fetch(`${base}/v1/invoke/${i % 2 ? "fuzzy" : "fuzzy-qjs"}/fuzzy_similarity`, { method: "POST", headers: { "content-type": "application/json", "x-vial-deadline-ms": "30000" }, body: JSON.stringify({ rows }) }).then(
        async (response) => ({ status: response.status, rows: ((await response.json()) as { rows: unknown[] }).rows?.length }),
        (error: Error) => ({ status: 0, rows: 0, error: error.message }),
      ).finally(() => answered++),
    );
    // Stopped once every call is in the host's hands, running or queued (a connection the kernel holds but the host
    // has not taken is lost when it stops listening: in a cluster the preStop pause keeps new ones away first).
    await vi.waitFor(
      async () => {
        const { environments } = (await (await fetch(`${base}/v1/environments`)).json()) as { environments: { pool: { busy: number; queued: number } }[] };
        expect(environments.reduce((sum, e) => sum + e.pool.busy + e.pool.queued, answered)).toBe(calls.length);
      },
      { timeout: 30_000, interval: 20 },
    );
    expect(answered).toBeLessThan(calls.length);
    // As the kubelet stops a pod's container: SIGTERM, the pod's network kept until it exits. (`podman pod stop`
    // also stops the pod's infra container, whose port forwarding the answers travel back through.)
    const started = Date.now();
    const stopped = await engine(["stop", "--time", "40", "vial-image-test-pod-0-vial"]);
    const stopMs = Date.now() - started;
    expect(stopped.code, stopped.stderr).toBe(0);
    expect((await engine(["inspect", "--format", "{{.State.ExitCode}}", "vial-image-test-pod-0-vial"])).stdout.trim()).toBe("0");
    expect(await Promise.all(calls)).toEqual(calls.map(() => ({ status: 200, rows: rows.length })));
    expect(stopMs).toBeLessThan(40_000); // the rendered terminationGracePeriodSeconds
    console.log(`[vial-figures] kube play pod stopped in ${stopMs} ms with ${calls.length} calls of ${rows.length} rows in flight`);
  });
});

/** What `podman kube play` leaves in place of a kubelet and a Job controller, each done here as they would. */
type PodSpec = Record<string, unknown> & { containers: Record<string, unknown>[]; initContainers?: Record<string, unknown>[]; volumes?: Record<string, unknown>[] };
const asPod = (name: string, spec: PodSpec, annotations: Record<string, string> = {}) => ({ apiVersion: "v1", kind: "Pod", metadata: { name, annotations }, spec });

/** Runs `pods` with kube play; resolves once every container named in `waitFor` has exited, with their logs and exit codes. */
async function playUntilExited(file: string, pods: object[], waitFor: string[]): Promise<{ name: string; code: string; logs: string }[]> {
  await writeFile(file, toYaml(pods as KubernetesObject[]));
  const played = await engine(["kube", "play", file]);
  expect(played.code, played.stderr).toBe(0);
  await vi.waitFor(
    async () => {
      const states = await Promise.all(waitFor.map(async (name) => (await engine(["inspect", "--format", "{{.State.Status}}", name])).stdout.trim()));
      expect(states).toEqual(waitFor.map(() => "exited"));
    },
    { timeout: 180_000, interval: 500 },
  );
  return Promise.all(
    waitFor.map(async (name) => ({
      name,
      code: (await engine(["inspect", "--format", "{{.State.ExitCode}}", name])).stdout.trim(),
      logs: await engine(["logs", name]).then((r) => r.stdout + r.stderr),
    })),
  );
}

describe("the sidecar form vial k8s render --socket prints, run by podman kube play", () => {
  let file: string;
  afterAll(async () => {
    if (file) await engine(["kube", "down", file]);
  });

  it("serves the feature server beside it on the shared socket and on each executor's own, confined", async () => {
    const opts = { name: "image-side", envs: "fuzzy,fuzzy-qjs", store: store.root, image: image.tag, socket: true, appImage: image.tag };
    const [template] = renderObjects(await readGroup(opts), opts) as unknown as [{ template: { spec: PodSpec } }];
    const { spec } = template.template;
    // podman refuses an init container with probes (Kubernetes before 1.29 has no native sidecars either): vial runs
    // as an ordinary container of the pod, as it would there.
    const { restartPolicy: _always, ...vial } = spec.initContainers![0]!;
    // The feature server: calls vial over the socket until it answers, as a client of the socket would, then says what it got.
    const client = `const http = require("node:http");
const call = (socketPath, method, path, body) => new Promise((resolve, reject) => {
  const req = http.request({ socketPath, method, path, headers: { "content-type": "application/json" } }, (res) => {
    let text = ""; res.on("data", (c) => (text += c)); res.on("end", () => resolve({ status: res.statusCode, body: text }));
  });
  req.on("error", reject); req.end(body);
});
const rows = JSON.stringify({ rows: ${JSON.stringify(TEXTS.map((text) => ({ text })))} });
const direct = (env) => call(process.env.VIAL_DIRECT_SOCKETS + "/" + env + ".sock", "POST", "/v1/invoke/" + env + "/fuzzy_similarity", rows).then((a) => JSON.parse(a.body));
(async () => {
  for (;;) {
    const answer = await call(process.env.VIAL_SOCKET, "POST", "/v1/invoke/fuzzy-qjs/fuzzy_similarity", rows).catch(() => undefined);
    if (answer && answer.status === 200) {
      const listing = JSON.parse((await call(process.env.VIAL_SOCKET, "GET", "/v1/environments")).body);
      console.log(JSON.stringify({ answer: JSON.parse(answer.body), direct: [await direct("fuzzy"), await direct("fuzzy-qjs")], listing }));
      return;
    }
    await new Promise((r) => setTimeout(r, 250));
  }
})();`;
    const app = { ...spec.containers[0]!, command: ["node", "-e", client] };
    file = join(socketDir, "sidecar.yaml");
    const pod = asPod("vial-image-side", { ...spec, initContainers: undefined, containers: [vial, app], restartPolicy: "Never" });
    const [served] = await playUntilExited(file, [pod], ["vial-image-side-feature-server"]);
    expect(served!.code, served!.logs).toBe("0");
    const { answer, direct, listing } = JSON.parse(served!.logs.trim().split("\n").at(-1)!) as { answer: unknown; direct: unknown[]; listing: Listing };
    const expected = { rows: TEXTS.map((text) => ({ similarity: ratio(BASELINE, text), partial_similarity: partial_ratio(BASELINE, text) })), errors: [] };
    expect(answer).toEqual(expected);
    // Each environment's confined executor, on its own socket in the shared folder: the same answer without the host.
    expect(direct).toEqual([expected, expected]);
    expectConfined(listing, 3);
  });
});

describe("the offline Job vial k8s render --job prints, one pod per shard run by podman kube play", () => {
  const SHARDS = 3;
  let file: string;
  let data: string;
  afterAll(async () => {
    if (file) await engine(["kube", "down", file]);
    if (data) await rm(data, { recursive: true, force: true });
  });

  it("runs every shard to completion, and the merged parts are what the function computes", async () => {
    data = await mkdtemp(join(REPO, ".scratch", "vial-image-data-"));
    await chmod(data, 0o755); // read by the image's user
    await mkdir(join(data, "rows"));
    await mkdir(join(data, "out"));
    await chmod(join(data, "out"), 0o777); // written by the image's user
    const texts = Array.from({ length: 50 }, (_, i) => `${TEXTS[i % TEXTS.length]} ${i}`);
    await writeFile(join(data, "rows", "day.ndjson"), texts.map((text) => JSON.stringify({ text })).join("\n") + "\n");
    const opts = { name: "image-run", envs: "fuzzy", store: store.root, image: image.tag, job: true, fn: "fuzzy_similarity", input: "rows/day.ndjson", output: "out/features.ndjson", shards: String(SHARDS), dataClaim: "feature-data", cpu: "1" };
    const [job] = renderObjects(await readGroup(opts), opts) as unknown as [{ kind: string; spec: { template: { spec: PodSpec } } }];
    expect(job.kind).toBe("Job");
    // podman runs no Job: each index's pod made here as the Job controller makes it (the index annotation, from which
    // the rendered env takes JOB_COMPLETION_INDEX), with $(JOB_COMPLETION_INDEX) in the arguments expanded as the
    // kubelet does (podman does not), and the claim as a folder of this machine's.
    const { spec } = job.spec.template;
    const volumes = spec.volumes!.map((v) => (v.name === "vial-data" ? { name: "vial-data", hostPath: { path: data, type: "Directory" } } : v));
    const pods = Array.from({ length: SHARDS }, (_, index) => {
      const [container] = spec.containers as [{ args: string[] }];
      const args = container.args.map((a) => a.replaceAll("$(JOB_COMPLETION_INDEX)", String(index)));
      return asPod(`vial-image-run-${index}`, { ...spec, volumes, containers: [{ ...container, args }] }, { "batch.kubernetes.io/job-completion-index": String(index) });
    });
    file = join(socketDir, "job.yaml");
    const names = pods.map((_, index) => `vial-image-run-${index}-vial`);
    const ran = await playUntilExited(file, pods, names);
    for (const shard of ran) expect(shard.code, `${shard.name}: ${shard.logs}`).toBe("0");
    // Joined where the claim is mounted, as the parts name their files by the paths they were written at.
    const parts = Array.from({ length: SHARDS }, (_, index) => `/data/out/features.part-${index}.ndjson`);
    const merged = await engine(["run", "--rm", "--network", "none", "--read-only", "--volume", `${data}:/data`, image.tag, "merge", ...parts, "--output", "/data/out/features.ndjson"]);
    expect(merged.code, merged.stderr).toBe(0);
    const rows = (await readFile(join(data, "out", "features.ndjson"), "utf8")).trim().split("\n").map((line) => JSON.parse(line) as unknown);
    expect(rows).toEqual(texts.map((text) => ({ similarity: ratio(BASELINE, text), partial_similarity: partial_ratio(BASELINE, text) })));
  });
});
