/**
 * What every vial pod gets, whatever its form (serving group, sidecar, job):
 * the container's hardening, the writable folders it needs on a read-only
 * root filesystem, where the store comes from, its labels and resources.
 */
import type { IContainer } from "kubernetes-models/v1/Container";
import type { IPodTemplate } from "kubernetes-models/v1/PodTemplate";
import type { IPodSecurityContext } from "kubernetes-models/v1/PodSecurityContext";
import type { IResourceRequirements } from "kubernetes-models/v1/ResourceRequirements";
import type { ISecurityContext } from "kubernetes-models/v1/SecurityContext";
import type { IVolume } from "kubernetes-models/v1/Volume";
import type { IVolumeMount } from "kubernetes-models/v1/VolumeMount";
import type { Group } from "./group.ts";
import { executorLimits } from "../../supervision/limits.ts";

/** The image's user and group (the Dockerfile's `vial` user): any non-root id would do, it must only match. */
export const VIAL_UID = 10001;
export const PORT = 8787;
export const STORE_PATH = "/var/lib/vial/store";
const CONFIG_DIR = "/etc/vial";
export const CONFIG_PATH = `${CONFIG_DIR}/vial.config.json`;
export const APP_PATH = "/app";

export const names = (group: Pick<Group, "name">) => ({
  base: `vial-${group.name}`,
  config: `vial-${group.name}-config`,
  /** Created by the operator: keys `tokens` (VIAL_TOKENS) and `admin-token`. */
  secret: `vial-${group.name}`,
});

export function labels(group: Pick<Group, "name">, component: string): Record<string, string> {
  return { "app.kubernetes.io/name": "vial", "app.kubernetes.io/instance": group.name, "app.kubernetes.io/component": component };
}

export type ObjectMeta = NonNullable<IPodTemplate["metadata"]>;

export const objectMeta = (group: Group, name: string, component: string): ObjectMeta => ({
  name,
  ...(group.namespace ? { namespace: group.namespace } : {}),
  labels: labels(group, component),
});

/** Which versions a pod serves: a new version changes the pod template, so pods roll. */
export const versionsAnnotation = (group: Group) => ({ "vial.dev/environments": group.environments.map((e) => `${e.name}@${e.version}`).join(",") });

/** Selects a group's pods: stable across renders (never the version or the image). */
export const selector = (group: Pick<Group, "name">, component: string) => labels(group, component);

/** Non-root, no privilege escalation, no capability, nothing writable but the volumes, the runtime's seccomp profile. */
export const containerSecurity: ISecurityContext = {
  runAsNonRoot: true,
  runAsUser: VIAL_UID,
  runAsGroup: VIAL_UID,
  allowPrivilegeEscalation: false,
  readOnlyRootFilesystem: true,
  capabilities: { drop: ["ALL"] },
  seccompProfile: { type: "RuntimeDefault" },
};

/** fsGroup makes the volumes (and a socket in them) the vial group's. */
export const podSecurity: IPodSecurityContext = {
  runAsNonRoot: true,
  runAsUser: VIAL_UID,
  runAsGroup: VIAL_UID,
  fsGroup: VIAL_UID,
  seccompProfile: { type: "RuntimeDefault" },
};

/**
 * /tmp: the host bundles its executors' code at start into node_modules/.cache,
 * or the temp folder when that is read-only, and tsx keeps its compile cache there.
 */
const tmpVolume: IVolume = { name: "vial-tmp", emptyDir: { sizeLimit: "256Mi" } };
const tmpMount: IVolumeMount = { name: "vial-tmp", mountPath: "/tmp" };

/** The store: baked into the image at STORE_PATH, or each environment's folder from a claim, read-only. */
export function storeVolumes(group: Group): { volumes: IVolume[]; mounts: IVolumeMount[] } {
  if (!group.storeClaim) return { volumes: [], mounts: [] };
  return {
    volumes: [{ name: "vial-store", persistentVolumeClaim: { claimName: group.storeClaim, readOnly: true } }],
    // Only the group's environments: the host serves every environment it finds in its store.
    mounts: group.environments.map((e) => ({ name: "vial-store", mountPath: `${STORE_PATH}/envs/${e.name}`, subPath: `envs/${e.name}`, readOnly: true })),
  };
}

export function configVolume(group: Group): { volumes: IVolume[]; mounts: IVolumeMount[]; args: string[] } {
  if (!group.configText) return { volumes: [], mounts: [], args: [] };
  return {
    volumes: [{ name: "vial-config", configMap: { name: names(group).config } }],
    // The ConfigMap as a folder: podman's kube play mounts a subPath of it as a folder, and kubelets do not update subPaths.
    mounts: [{ name: "vial-config", mountPath: CONFIG_DIR, readOnly: true }],
    args: ["--config", CONFIG_PATH],
  };
}

const MIB = 2 ** 20;
/** Measured with the example: the host 160-250 MiB resident, an executor with two warm isolates about 70 MiB. */
const HOST_REQUEST_MIB = 256;
const HOST_LIMIT_MIB = 512;
const EXECUTOR_REQUEST_MIB = 96;

/**
 * Requests: what the group uses warm. Limits: room for every executor at its
 * memory cap (the host kills one past it before the kubelet sees the pod's
 * limit), and a core per instance (a busy instance uses one) plus the host's.
 */
export function resources(group: Group): IResourceRequirements {
  const instances = group.environments.reduce((n, e) => n + e.pool.size, 0);
  const capsMiB = group.environments.reduce((n, e) => n + executorLimits(e.pool).memoryBytes / MIB, 0);
  return {
    requests: { cpu: group.cpuRequest, memory: `${HOST_REQUEST_MIB + EXECUTOR_REQUEST_MIB * group.environments.length}Mi`, "ephemeral-storage": "64Mi" },
    limits: { cpu: String(instances + 1), memory: `${Math.ceil(HOST_LIMIT_MIB + capsMiB)}Mi`, "ephemeral-storage": "512Mi" },
  };
}

/** Where the host's tokens come from: the group's Secret, when the operator has created it. */
function tokenEnv(group: Group): IContainer["env"] {
  const secret = names(group).secret;
  return [
    { name: "VIAL_TOKENS", valueFrom: { secretKeyRef: { name: secret, key: "tokens", optional: true } } },
    { name: "VIAL_ADMIN_TOKEN", valueFrom: { secretKeyRef: { name: secret, key: "admin-token", optional: true } } },
  ];
}

/** `vial serve` over the group's store; the form adds where it listens and how it is probed. */
export function servingContainer(group: Group, listen: string[], extra: Partial<IContainer> = {}): IContainer {
  return vialContainer(group, ["serve", "--store", STORE_PATH, ...listen, ...configVolume(group).args], { env: tokenEnv(group), resources: resources(group), ...extra });
}

/** The vial image running `args` with the store, the configuration and /tmp mounted, hardened. */
export function vialContainer(group: Group, args: string[], extra: Partial<IContainer> = {}): IContainer {
  return {
    name: "vial",
    image: group.image,
    args,
    securityContext: containerSecurity,
    ...extra,
    volumeMounts: [tmpMount, ...storeVolumes(group).mounts, ...configVolume(group).mounts, ...(extra.volumeMounts ?? [])],
  };
}

/** The volumes vialContainer mounts. */
export const vialVolumes = (group: Group): IVolume[] => [tmpVolume, ...storeVolumes(group).volumes, ...configVolume(group).volumes];
