/**
 * The sidecar form: vial beside a feature server in its pod, listening on a
 * unix socket in a memory-backed emptyDir both containers mount. Rendered as
 * a PodTemplate holding the pieces to merge into the feature server's pod.
 * vial is a native sidecar (an init container that keeps running): it is warm
 * before the feature server starts, and stops after it. Each environment's
 * executor also serves its own socket in the same folder (`--direct-sockets`):
 * the feature server's shortest way to a function.
 */
import type { IPodTemplate } from "kubernetes-models/v1/PodTemplate";
import type { IProbe } from "kubernetes-models/v1/Probe";
import type { Group } from "./group.ts";
import { APP_PATH, labels, objectMeta, podSecurity, servingContainer, versionsAnnotation, vialVolumes } from "./pod.ts";

const COMPONENT = "sidecar";
export const SOCKET_DIR = "/run/vial";
export const SOCKET = `${SOCKET_DIR}/vial.sock`;
export const DIRECT_SOCKETS = `${SOCKET_DIR}/direct`;
const SOCKET_VOLUME = "vial-socket";
/** After the drain: the host's last second of closing connections, and exit. */
const EXIT_MARGIN_SECONDS = 5;

const socketProbe = (path: string, periodSeconds: number, failureThreshold: number): IProbe => ({
  exec: { command: ["node", `${APP_PATH}/cli/k8s/socket-probe.mjs`, SOCKET, path] },
  periodSeconds,
  timeoutSeconds: 3,
  failureThreshold,
});

export function sidecar(group: Group, appImage: string): IPodTemplate[] {
  const mount = { name: SOCKET_VOLUME, mountPath: SOCKET_DIR };
  const vial = servingContainer(group, ["--socket", SOCKET, "--direct-sockets", DIRECT_SOCKETS], {
    restartPolicy: "Always",
    startupProbe: socketProbe("/healthz", 2, 60),
    livenessProbe: socketProbe("/healthz", 10, 3),
    readinessProbe: socketProbe("/readyz", 5, 2),
    volumeMounts: [mount],
  });
  return [
    {
      apiVersion: "v1",
      kind: "PodTemplate",
      metadata: objectMeta(group, `vial-${group.name}-sidecar`, COMPONENT),
      template: {
        metadata: { labels: labels(group, COMPONENT), annotations: versionsAnnotation(group) },
        spec: {
          // The pod's own: fsGroup puts the socket in the vial group, which every container of the pod is in.
          securityContext: { fsGroup: podSecurity.fsGroup, seccompProfile: podSecurity.seccompProfile },
          ...(group.runtimeClass ? { runtimeClassName: group.runtimeClass } : {}),
          terminationGracePeriodSeconds: Math.ceil(group.drainTimeoutMs / 1000) + EXIT_MARGIN_SECONDS,
          initContainers: [vial],
          containers: [
            {
              name: "feature-server",
              image: appImage,
              env: [
                { name: "VIAL_SOCKET", value: SOCKET },
                { name: "VIAL_DIRECT_SOCKETS", value: DIRECT_SOCKETS },
              ],
              volumeMounts: [mount],
            },
          ],
          volumes: [{ name: SOCKET_VOLUME, emptyDir: { medium: "Memory", sizeLimit: "1Mi" } }, ...vialVolumes(group)],
        },
      },
    },
  ];
}
