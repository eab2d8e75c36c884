/**
 * `vial k8s render` for a serving group: every object valid for the
 * Kubernetes API, read back from the YAML as kubectl would, and the fields
 * an operator relies on checked against the host's own settings.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { IDeployment } from "kubernetes-models/apps/v1/Deployment";
import type { IHorizontalPodAutoscaler } from "kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler";
import type { INetworkPolicy } from "kubernetes-models/networking.k8s.io/v1/NetworkPolicy";
import type { IPodDisruptionBudget } from "kubernetes-models/policy/v1/PodDisruptionBudget";
import type { IService } from "kubernetes-models/v1/Service";
import type { Store } from "../../builds/store.ts";
import { DEFAULT_CONFIG } from "../../host/config.ts";
import { DEFAULT_POLICY } from "../../supervision/policy.ts";
import { renderCommand, type RenderCommandOptions } from "../../cli/k8s/render.ts";
import { BUSY_METRIC } from "../../cli/k8s/serving-group.ts";
import { deployedStore, one, parseManifests, selects, validateObject, type RenderedObject } from "./helpers.ts";

let store: Store;
const render = async (opts: Partial<RenderCommandOptions> = {}) =>
  parseManifests(await renderCommand({ name: "features", envs: "fuzzy,fuzzy-b", store: store.root, ...opts }));
const as = <T>(object: RenderedObject) => object as unknown as T;
/** Kubernetes memory quantities as vial renders them (Mi). */
const mib = (quantity: string | number | undefined) => Number(String(quantity).replace(/Mi$/, ""));

beforeAll(async () => {
  store = await deployedStore(["fuzzy", "fuzzy-b"]);
});

afterAll(async () => {
  if (store) await rm(store.root, { recursive: true, force: true });
});

describe("a serving group", () => {
  it("is five objects, each valid for its kind in the Kubernetes API", async () => {
    const objects = await render();
    expect(objects.map((o) => o.kind)).toEqual(["Deployment", "Service", "HorizontalPodAutoscaler", "PodDisruptionBudget", "NetworkPolicy"]);
    for (const object of objects) validateObject(object);
  });

  it("is checked by a schema that refuses what the API server would", async () => {
    const deployment = one(await render(), "Deployment");
    const broken = structuredClone(deployment);
    (broken.spec as { template: { spec: { containers: Array<{ ports: unknown }> } } }).template.spec.containers[0]!.ports = [{ containerPort: "http" }];
    expect(() => validateObject(broken)).toThrow(/containerPort must be integer/);
    const hpa = structuredClone(one(await render(), "HorizontalPodAutoscaler"));
    delete (hpa.spec as { scaleTargetRef?: unknown }).scaleTargetRef;
    expect(() => validateObject(hpa)).toThrow(/scaleTargetRef/);
  });

  it("serves exactly its environments' current versions, from the store baked into a versioned image", async () => {
    const pod = as<IDeployment>(one(await render(), "Deployment")).spec!.template;
    const versions = await Promise.all(["fuzzy", "fuzzy-b"].map(async (e) => `${e}@${(await store.current(e))!.version}`));
    expect(pod.metadata!.annotations!["vial.dev/environments"]).toBe(versions.join(","));
    const container = pod.spec!.containers[0]!;
    expect(container.image).toMatch(/^vial-features:[0-9a-f]{12}$/);
    expect(container.args).toEqual(["serve", "--store", "/var/lib/vial/store", "--host", "0.0.0.0", "--port", "8787"]);
  });

  it("says in its first lines how to build the image it names", async () => {
    const text = await renderCommand({ name: "features", envs: "fuzzy,fuzzy-b", store: store.root });
    const image = (one(parseManifests(text), "Deployment").spec as { template: { spec: { containers: Array<{ image: string }> } } }).template.spec.containers[0]!.image;
    expect(text.split("\n")[1]).toContain(`npm run image -- --envs fuzzy,fuzzy-b --store ${store.root} --tag ${image}`);
    expect(text.split("\n")[1]).toContain(`docker build --build-context store=${store.root} --build-arg VIAL_ENVS=fuzzy,fuzzy-b -t ${image} .`);
  });

  it("probes readiness on /readyz and liveness on /healthz, on the port it serves", async () => {
    const container = as<IDeployment>(one(await render(), "Deployment")).spec!.template.spec!.containers[0]!;
    expect(container.readinessProbe!.httpGet).toEqual({ path: "/readyz", port: "http" });
    expect(container.livenessProbe!.httpGet).toEqual({ path: "/healthz", port: "http" });
    expect(container.ports).toEqual([{ name: "http", containerPort: 8787, protocol: "TCP" }]);
  });

  it("gives a stopping pod time to leave the endpoints and then to drain, per the host's drainTimeoutMs", async () => {
    for (const [config, drainMs] of [[undefined, DEFAULT_CONFIG.drainTimeoutMs], [{ drainTimeoutMs: 90_000 }, 90_000]] as const) {
      let file: string | undefined;
      if (config) await writeFile((file = join(store.root, "drain.json")), JSON.stringify(config));
      const pod = as<IDeployment>(one(await render({ config: file }), "Deployment")).spec!.template.spec!;
      const preStop = pod.containers[0]!.lifecycle!.preStop!.exec!.command!;
      expect(preStop[0]).toBe("sleep");
      expect(pod.terminationGracePeriodSeconds!).toBeGreaterThan(Number(preStop[1]) + drainMs / 1000);
    }
  });

  it("runs hardened: non-root, read-only root, no capabilities, no privilege escalation, RuntimeDefault seccomp, no token, /tmp an emptyDir", async () => {
    const pod = as<IDeployment>(one(await render(), "Deployment")).spec!.template.spec!;
    const container = pod.containers[0]!;
    expect(pod.automountServiceAccountToken).toBe(false);
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } });
    expect(container.securityContext).toMatchObject({
      runAsNonRoot: true,
      readOnlyRootFilesystem: true,
      allowPrivilegeEscalation: false,
      capabilities: { drop: ["ALL"] },
      seccompProfile: { type: "RuntimeDefault" },
    });
    expect(container.securityContext!.runAsUser).toBeGreaterThan(0);
    const tmp = container.volumeMounts!.find((m) => m.mountPath === "/tmp")!;
    expect(pod.volumes!.find((v) => v.name === tmp.name)!.emptyDir).toBeDefined();
  });

  it("requests and limits CPU and memory, the memory limit covering every instance at its cap", async () => {
    const resources = as<IDeployment>(one(await render(), "Deployment")).spec!.template.spec!.containers[0]!.resources!;
    for (const key of ["cpu", "memory"]) {
      expect(resources.requests![key]).toBeDefined();
      expect(resources.limits![key]).toBeDefined();
    }
    const caps = (2 * DEFAULT_POLICY.size * DEFAULT_POLICY.memoryLimitBytes) / 2 ** 20;
    expect(mib(resources.limits!.memory)).toBeGreaterThan(caps);
    expect(mib(resources.requests!.memory)).toBeLessThan(mib(resources.limits!.memory));
    // A configured pool moves the limit with it.
    const file = join(store.root, "pool.json");
    await writeFile(file, JSON.stringify({ pool: { size: 4, memoryMiB: 512 } }));
    const bigger = as<IDeployment>(one(await render({ config: file }), "Deployment")).spec!.template.spec!.containers[0]!.resources!;
    expect(mib(bigger.limits!.memory)).toBeGreaterThan(2 * 4 * 512);
    expect(Number(bigger.limits!.cpu)).toBeGreaterThanOrEqual(2 * 4);
  });

  it("has a Service, a disruption budget and a network policy that select the Deployment's pods", async () => {
    const objects = await render();
    const pod = as<IDeployment>(one(objects, "Deployment")).spec!.template;
    const service = as<IService>(one(objects, "Service"));
    expect(selects(service.spec!.selector, pod.metadata!.labels)).toBe(true);
    expect(service.spec!.ports![0]!.targetPort).toBe(pod.spec!.containers[0]!.ports![0]!.name);
    expect(selects(as<IPodDisruptionBudget>(one(objects, "PodDisruptionBudget")).spec!.selector!.matchLabels, pod.metadata!.labels)).toBe(true);
    expect(as<IPodDisruptionBudget>(one(objects, "PodDisruptionBudget")).spec!.maxUnavailable).toBe(1);
    const policy = as<INetworkPolicy>(one(objects, "NetworkPolicy")).spec!;
    expect(selects(policy.podSelector!.matchLabels, pod.metadata!.labels)).toBe(true);
    // Egress listed as a policy type with no rule: nothing leaves. Ingress: the serving port only.
    expect(policy.policyTypes).toEqual(["Ingress", "Egress"]);
    expect(policy.egress).toEqual([]);
    expect(policy.ingress).toEqual([{ ports: [{ protocol: "TCP", port: 8787 }] }]);
  });

  it("scales the Deployment between --min and --max on CPU, or on the busy-instance ratio", async () => {
    const cpu = await render({ min: "3", max: "12" });
    const hpa = as<IHorizontalPodAutoscaler>(one(cpu, "HorizontalPodAutoscaler")).spec!;
    expect(hpa.scaleTargetRef).toEqual({ apiVersion: "apps/v1", kind: "Deployment", name: one(cpu, "Deployment").metadata.name });
    expect([hpa.minReplicas, hpa.maxReplicas]).toEqual([3, 12]);
    expect(hpa.metrics![0]!.resource).toMatchObject({ name: "cpu", target: { type: "Utilization" } });
    // The autoscaler owns the replica count.
    expect(as<IDeployment>(one(cpu, "Deployment")).spec!.replicas).toBeUndefined();
    const busy = as<IHorizontalPodAutoscaler>(one(await render({ scaleOn: "busy" }), "HorizontalPodAutoscaler")).spec!;
    expect(busy.metrics![0]!.pods!.metric.name).toBe(BUSY_METRIC);
  });

  it("ships a configuration as a ConfigMap the pod mounts, and rolls pods when it changes", async () => {
    const file = join(store.root, "vial.config.json");
    await writeFile(file, JSON.stringify({ pool: { size: 3 } }));
    const first = await render({ config: file });
    for (const object of first) validateObject(object);
    const container = as<IDeployment>(one(first, "Deployment")).spec!.template.spec!.containers[0]!;
    expect(container.args!.slice(-2)).toEqual(["--config", "/etc/vial/vial.config.json"]);
    expect(one(first, "ConfigMap").data).toEqual({ "vial.config.json": JSON.stringify({ pool: { size: 3 } }) });
    await writeFile(file, JSON.stringify({ pool: { size: 4 } }));
    const annotations = (objects: RenderedObject[]) => as<IDeployment>(one(objects, "Deployment")).spec!.template.metadata!.annotations!;
    expect(annotations(await render({ config: file }))["vial.dev/config-sha256"]).not.toBe(annotations(first)["vial.dev/config-sha256"]);
  });

  it("mounts only the group's environments read-only from a claim, and takes a sandboxed runtime class", async () => {
    const objects = await render({ storeClaim: "vial-store", runtimeClass: "gvisor" });
    for (const object of objects) validateObject(object);
    const pod = as<IDeployment>(one(objects, "Deployment")).spec!.template.spec!;
    // No store in the image: vial's own, at this version.
    expect(pod.containers[0]!.image).toMatch(/^vial:\d+\.\d+\.\d+$/);
    expect(pod.runtimeClassName).toBe("gvisor");
    expect(pod.volumes!.find((v) => v.persistentVolumeClaim)!.persistentVolumeClaim).toEqual({ claimName: "vial-store", readOnly: true });
    const mounts = pod.containers[0]!.volumeMounts!.filter((m) => m.subPath);
    expect(mounts.map((m) => [m.mountPath, m.subPath, m.readOnly])).toEqual([
      ["/var/lib/vial/store/envs/fuzzy", "envs/fuzzy", true],
      ["/var/lib/vial/store/envs/fuzzy-b", "envs/fuzzy-b", true],
    ]);
  });
});
