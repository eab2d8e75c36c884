/**
 * `vial k8s render --socket` (vial as a native sidecar on a shared unix
 * socket) and `--job` (an indexed Job of `vial run` shards), and the one-line
 * errors for what cannot be rendered.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import type { IJob } from "kubernetes-models/batch/v1/Job";
import type { INetworkPolicy } from "kubernetes-models/networking.k8s.io/v1/NetworkPolicy";
import type { IPodTemplate } from "kubernetes-models/v1/PodTemplate";
import { createEnvironment } from "../../builds/env-create.ts";
import type { Store } from "../../builds/store.ts";
import { renderCommand, type RenderCommandOptions } from "../../cli/k8s/render.ts";
import { EXAMPLE, REPO, deployedStore, one, parseManifests, selects, validateObject, type RenderedObject } from "./helpers.ts";

const run = promisify(execFile);
let store: Store;
const render = async (opts: Partial<RenderCommandOptions>) => parseManifests(await renderCommand({ name: "features", envs: "fuzzy", store: store.root, ...opts }));
const as = <T>(object: RenderedObject) => object as unknown as T;

beforeAll(async () => {
  store = await deployedStore(["fuzzy", "fuzzy-b"]);
  await createEnvironment({ name: "undeployed", requirements: join(EXAMPLE, "package.json"), store });
});

afterAll(async () => {
  if (store) await rm(store.root, { recursive: true, force: true });
});

describe("the sidecar form", () => {
  it("puts vial beside the feature server as a native sidecar, both on one emptyDir socket", async () => {
    const objects = await render({ socket: true, appImage: "registry.example/feature-server:7" });
    expect(objects.map((o) => o.kind)).toEqual(["PodTemplate"]);
    validateObject(objects[0]!);
    const spec = as<IPodTemplate>(objects[0]!).template!.spec!;
    const vial = spec.initContainers![0]!;
    const app = spec.containers[0]!;
    expect(vial.restartPolicy).toBe("Always");
    expect(vial.args).toEqual(["serve", "--store", "/var/lib/vial/store", "--socket", "/run/vial/vial.sock", "--direct-sockets", "/run/vial/direct"]);
    expect(app.image).toBe("registry.example/feature-server:7");
    expect(app.env).toContainEqual({ name: "VIAL_SOCKET", value: "/run/vial/vial.sock" });
    expect(app.env).toContainEqual({ name: "VIAL_DIRECT_SOCKETS", value: "/run/vial/direct" });
    const socketMount = (c: typeof vial) => c.volumeMounts!.find((m) => m.mountPath === "/run/vial")!.name;
    expect(socketMount(vial)).toBe(socketMount(app));
    expect(spec.volumes!.find((v) => v.name === socketMount(vial))!.emptyDir).toEqual({ medium: "Memory", sizeLimit: "1Mi" });
    // The socket is 0660: the pod's fsGroup puts it in a group the feature server's container is in.
    expect(spec.securityContext!.fsGroup).toBe(vial.securityContext!.runAsGroup);
    expect(vial.securityContext).toMatchObject({ runAsNonRoot: true, readOnlyRootFilesystem: true, capabilities: { drop: ["ALL"] } });
  });

  it("probes the host through the socket with a script the image has", async () => {
    const vial = as<IPodTemplate>((await render({ socket: true }))[0]!).template!.spec!.initContainers![0]!;
    for (const [probe, path] of [[vial.readinessProbe, "/readyz"], [vial.livenessProbe, "/healthz"]] as const) {
      const [node, script, socket, asked] = probe!.exec!.command!;
      expect([node, socket, asked]).toEqual(["node", "/run/vial/vial.sock", path]);
      expect(existsSync(join(REPO, script!.replace(/^\/app\//, "")))).toBe(true);
    }
  });
});

describe("the offline form", () => {
  const job = { job: true, fn: "fuzzy_similarity", input: "rows/day.ndjson", output: "out/features.ndjson", shards: "8", parallelism: "3", dataClaim: "feature-data" };

  it("is an indexed Job whose pods each run one shard, its index from the Job controller, with no network", async () => {
    const objects = await render(job);
    expect(objects.map((o) => o.kind)).toEqual(["Job", "NetworkPolicy"]);
    for (const object of objects) validateObject(object);
    const spec = as<IJob>(one(objects, "Job")).spec!;
    expect([spec.completionMode, spec.completions, spec.parallelism]).toEqual(["Indexed", 8, 3]);
    const container = spec.template.spec!.containers[0]!;
    expect(container.args).toEqual([
      "run", "--store", "/var/lib/vial/store", "--env", "fuzzy", "--fn", "fuzzy_similarity",
      "--input", "/data/rows/day.ndjson", "--output", "/data/out/features.part-$(JOB_COMPLETION_INDEX).ndjson",
      "--shard", "$(JOB_COMPLETION_INDEX)/8", "--workers", "2",
    ]);
    // Declared in the container, so that $(JOB_COMPLETION_INDEX) in args expands.
    expect(container.env).toContainEqual({ name: "JOB_COMPLETION_INDEX", valueFrom: { fieldRef: { fieldPath: "metadata.annotations['batch.kubernetes.io/job-completion-index']" } } });
    expect(spec.template.spec!.volumes).toContainEqual({ name: "vial-data", persistentVolumeClaim: { claimName: "feature-data" } });
    expect(container.securityContext).toMatchObject({ runAsNonRoot: true, readOnlyRootFilesystem: true });
    const policy = as<INetworkPolicy>(one(objects, "NetworkPolicy")).spec!;
    expect(selects(policy.podSelector!.matchLabels, spec.template.metadata!.labels)).toBe(true);
    expect([policy.policyTypes, policy.ingress, policy.egress]).toEqual([["Ingress", "Egress"], [], []]);
  });

  it("refuses what it cannot run, saying what to give", async () => {
    await expect(render({ ...job, envs: "fuzzy,fuzzy-b" })).rejects.toThrow("--job runs one environment: give --envs a single name (got 2)");
    await expect(render({ ...job, fn: "nope" })).rejects.toThrow(/--fn: 'fuzzy@[0-9a-f]{16}' has no function 'nope' \(it has: fuzzy_similarity\)/);
    await expect(render({ ...job, input: "../../etc/passwd" })).rejects.toThrow("--input must name a file inside the data volume");
    await expect(render({ ...job, dataClaim: undefined })).rejects.toThrow("--job needs --data-claim <claim>");
  });
});

describe("bad input", () => {
  it("gets one line that says what to fix", async () => {
    await expect(render({ envs: "fuzzy,nope" })).rejects.toThrow(/--envs: no environment 'nope' in .* \(it has: fuzzy, fuzzy-b, undeployed\)/);
    await expect(render({ envs: "undeployed" })).rejects.toThrow("--envs: environment 'undeployed' has no deployed version: run 'vial deploy <module> --env undeployed' first");
    await expect(render({ envs: "fuzzy,fuzzy" })).rejects.toThrow("--envs names 'fuzzy' twice");
    await expect(render({ min: "5", max: "3" })).rejects.toThrow("--min (5) is more than --max (3)");
    await expect(render({ min: "0" })).rejects.toThrow("--min must be a whole number of at least 1 (got '0')");
    await expect(render({ name: "Features_1" })).rejects.toThrow("--name must be a DNS label");
    await expect(render({ socket: true, job: true })).rejects.toThrow("--socket and --job are different forms: choose one");
    await expect(render({ fn: "fuzzy_similarity", shards: "4" })).rejects.toThrow("--fn, --shards go with --job (the offline form)");
    await expect(render({ appImage: "feature-server:1" })).rejects.toThrow("--app-image goes with --socket (the sidecar form)");
    await expect(render({ cpu: "lots" })).rejects.toThrow("--cpu must be a CPU quantity such as 500m or 2 (got 'lots')");
    const secrets = join(store.root, "with-tokens.json");
    await writeFile(secrets, JSON.stringify({ tokens: { t: ["fuzzy"] } }));
    await expect(render({ config: secrets })).rejects.toThrow(/holds tokens: a ConfigMap is no place for them/);
  });

  it("through the command: exit 1 and the message alone on stderr; YAML on stdout otherwise", async () => {
    const vial = (...args: string[]) => run(process.execPath, [join(REPO, "bin", "vial.js"), "k8s", "render", "--store", store.root, ...args], { cwd: REPO });
    const failed = await vial("--name", "features", "--envs", "fuzzy", "--min", "4", "--max", "2").then(() => undefined, (error: { code: number; stdout: string; stderr: string }) => error);
    expect(failed).toMatchObject({ code: 1, stdout: "" });
    expect(failed!.stderr.trim().split("\n")).toEqual(["error: --min (4) is more than --max (2): the group cannot scale between them"]);
    const { stdout } = await vial("--name", "features", "--envs", "fuzzy");
    expect(parseManifests(stdout).map((o) => o.kind)).toEqual(["Deployment", "Service", "HorizontalPodAutoscaler", "PodDisruptionBudget", "NetworkPolicy"]);
  });
});
