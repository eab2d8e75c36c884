/**
 * One serving group: a Deployment of vial hosts serving the group's
 * environments (and nothing else), its Service, an autoscaler, a disruption
 * budget, and a network policy that lets in callers on the serving port and
 * lets nothing out.
 */
import type { IDeployment } from "kubernetes-models/apps/v1/Deployment";
import type { IHorizontalPodAutoscaler } from "kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler";
import type { IMetricSpec } from "kubernetes-models/autoscaling/v2/MetricSpec";
import type { INetworkPolicy } from "kubernetes-models/networking.k8s.io/v1/NetworkPolicy";
import type { IPodDisruptionBudget } from "kubernetes-models/policy/v1/PodDisruptionBudget";
import type { IConfigMap } from "kubernetes-models/v1/ConfigMap";
import type { IService } from "kubernetes-models/v1/Service";
import { sha256 } from "../../runtime/digest.ts";
import type { Group } from "./group.ts";
import { labels, names, objectMeta, podSecurity, PORT, selector, servingContainer, versionsAnnotation, vialVolumes } from "./pod.ts";

const COMPONENT = "serving-group";
/** Seconds between the pod leaving the Service's endpoints and SIGTERM: callers stop being sent here first. */
export const PRESTOP_SLEEP_SECONDS = 5;
/** After the drain: the host's last second of closing connections, and exit. */
const EXIT_MARGIN_SECONDS = 5;
/** The custom metric the busy-instance autoscaler reads (an adapter derives it from vial_instances; see the README). */
export const BUSY_METRIC = "vial_busy_instance_ratio";

const meta = (group: Group, name: string) => objectMeta(group, name, COMPONENT);

export const terminationGraceSeconds = (group: Group) => PRESTOP_SLEEP_SECONDS + Math.ceil(group.drainTimeoutMs / 1000) + EXIT_MARGIN_SECONDS;

function deployment(group: Group): IDeployment {
  const n = names(group);
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: meta(group, n.base),
    spec: {
      // No replicas: the autoscaler owns the count (a value here would reset it at every apply).
      selector: { matchLabels: selector(group, COMPONENT) },
      // A new pod warms its pools before an old one goes: capacity never drops during a rollout.
      strategy: { type: "RollingUpdate", rollingUpdate: { maxSurge: "25%", maxUnavailable: 0 } },
      template: {
        metadata: {
          labels: labels(group, COMPONENT),
          annotations: {
            ...versionsAnnotation(group),
            ...(group.configText ? { "vial.dev/config-sha256": sha256(group.configText) } : {}),
            "prometheus.io/scrape": "true",
            "prometheus.io/port": String(PORT),
            "prometheus.io/path": "/metrics",
          },
        },
        spec: {
          automountServiceAccountToken: false,
          enableServiceLinks: false,
          securityContext: podSecurity,
          ...(group.runtimeClass ? { runtimeClassName: group.runtimeClass } : {}),
          terminationGracePeriodSeconds: terminationGraceSeconds(group),
          topologySpreadConstraints: [
            { maxSkew: 1, topologyKey: "kubernetes.io/hostname", whenUnsatisfiable: "ScheduleAnyway", labelSelector: { matchLabels: selector(group, COMPONENT) } },
          ],
          containers: [
            servingContainer(group, ["--host", "0.0.0.0", "--port", String(PORT)], {
              ports: [{ name: "http", containerPort: PORT, protocol: "TCP" }],
              // /healthz answers as soon as the host listens; /readyz once every pool is warm.
              startupProbe: { httpGet: { path: "/healthz", port: "http" }, periodSeconds: 2, failureThreshold: 60 },
              livenessProbe: { httpGet: { path: "/healthz", port: "http" }, periodSeconds: 10, timeoutSeconds: 3, failureThreshold: 3 },
              readinessProbe: { httpGet: { path: "/readyz", port: "http" }, periodSeconds: 5, timeoutSeconds: 3, failureThreshold: 2 },
              lifecycle: { preStop: { exec: { command: ["sleep", String(PRESTOP_SLEEP_SECONDS)] } } },
            }),
          ],
          volumes: vialVolumes(group),
        },
      },
    },
  };
}

function service(group: Group): IService {
  return {
    apiVersion: "v1",
    kind: "Service",
    metadata: meta(group, names(group).base),
    spec: { type: "ClusterIP", selector: selector(group, COMPONENT), ports: [{ name: "http", port: 80, targetPort: "http", protocol: "TCP" }] },
  };
}

function scalingMetric(group: Group): IMetricSpec {
  if (group.scaleOn === "busy") {
    return { type: "Pods", pods: { metric: { name: BUSY_METRIC }, target: { type: "AverageValue", averageValue: "600m" } } };
  }
  return { type: "Resource", resource: { name: "cpu", target: { type: "Utilization", averageUtilization: 70 } } };
}

function autoscaler(group: Group): IHorizontalPodAutoscaler {
  return {
    apiVersion: "autoscaling/v2",
    kind: "HorizontalPodAutoscaler",
    metadata: meta(group, names(group).base),
    spec: {
      scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: names(group).base },
      minReplicas: group.replicas.min,
      maxReplicas: group.replicas.max,
      metrics: [scalingMetric(group)],
      behavior: {
        // Up at once (a burst must not wait), down slowly (warm pools are what vial is for).
        scaleUp: { stabilizationWindowSeconds: 0, selectPolicy: "Max", policies: [{ type: "Percent", value: 100, periodSeconds: 15 }, { type: "Pods", value: 2, periodSeconds: 15 }] },
        scaleDown: { stabilizationWindowSeconds: 300, selectPolicy: "Max", policies: [{ type: "Percent", value: 25, periodSeconds: 60 }] },
      },
    },
  };
}

function disruptionBudget(group: Group): IPodDisruptionBudget {
  // One pod at a time, whatever the count: a budget by minAvailable would block draining a node at the minimum.
  return { apiVersion: "policy/v1", kind: "PodDisruptionBudget", metadata: meta(group, names(group).base), spec: { maxUnavailable: 1, selector: { matchLabels: selector(group, COMPONENT) } } };
}

/** Callers (and the metrics scraper) on the serving port only; no egress at all: the host needs none, and an escaped executor gets none. */
function networkPolicy(group: Group): INetworkPolicy {
  return {
    apiVersion: "networking.k8s.io/v1",
    kind: "NetworkPolicy",
    metadata: meta(group, names(group).base),
    spec: {
      podSelector: { matchLabels: selector(group, COMPONENT) },
      policyTypes: ["Ingress", "Egress"],
      ingress: [{ ports: [{ protocol: "TCP", port: PORT }] }],
      egress: [],
    },
  };
}

function configMap(group: Group): IConfigMap[] {
  if (!group.configText) return [];
  return [{ apiVersion: "v1", kind: "ConfigMap", metadata: meta(group, names(group).config), data: { "vial.config.json": group.configText } }];
}

export function servingGroup(group: Group) {
  return [...configMap(group), deployment(group), service(group), autoscaler(group), disruptionBudget(group), networkPolicy(group)];
}
