/**
 * For the manifest tests: a store with the example really deployed, and each
 * rendered object checked against the Kubernetes API's own schemas
 * (kubernetes-models: validators generated from the API's OpenAPI document).
 */
import { mkdir, mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseAllDocuments } from "yaml";
import { Deployment } from "kubernetes-models/apps/v1/Deployment";
import { HorizontalPodAutoscaler } from "kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler";
import { Job } from "kubernetes-models/batch/v1/Job";
import { NetworkPolicy } from "kubernetes-models/networking.k8s.io/v1/NetworkPolicy";
import { PodDisruptionBudget } from "kubernetes-models/policy/v1/PodDisruptionBudget";
import { ConfigMap } from "kubernetes-models/v1/ConfigMap";
import { PodTemplate } from "kubernetes-models/v1/PodTemplate";
import { Service } from "kubernetes-models/v1/Service";
import { Store } from "../../builds/store.ts";
import { REPO, deployModule } from "../host/helpers.ts";

export { REPO };
export const EXAMPLE = join(REPO, "examples", "fuzzy-similarity");

/** `dir` under the project's scratch folder when given (readable by other users, unlike a 0700 temp folder). */
export async function deployedStore(envs: string[], parent = tmpdir()): Promise<Store> {
  await mkdir(parent, { recursive: true });
  const store = new Store(await mkdtemp(join(parent, "vial-k8s-store-")));
  for (const env of envs) await deployModule(store, env, join(EXAMPLE, "package.json"), join(EXAMPLE, "features.ts"));
  return store;
}

/** Every kind vial renders, by apiVersion and kind, with the model that validates it. */
const MODELS: Record<string, new (data: never) => { validate(): void }> = {
  "apps/v1/Deployment": Deployment,
  "v1/Service": Service,
  "v1/ConfigMap": ConfigMap,
  "v1/PodTemplate": PodTemplate,
  "autoscaling/v2/HorizontalPodAutoscaler": HorizontalPodAutoscaler,
  "policy/v1/PodDisruptionBudget": PodDisruptionBudget,
  "networking.k8s.io/v1/NetworkPolicy": NetworkPolicy,
  "batch/v1/Job": Job,
};

export interface RenderedObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; labels?: Record<string, string> };
  spec?: Record<string, unknown>;
  [key: string]: unknown;
}

/** Throws, naming the object and the schema's complaint, unless the object is valid for its kind. */
export function validateObject(object: RenderedObject): void {
  const Model = MODELS[`${object.apiVersion}/${object.kind}`];
  if (!Model) throw new Error(`no schema for ${object.apiVersion} ${object.kind}`);
  try {
    new Model(structuredClone(object) as never).validate();
  } catch (error) {
    throw new Error(`${object.kind} ${object.metadata?.name}: ${(error as Error).message}`);
  }
}

/** The YAML as kubectl reads it: every document, parse errors included. */
export function parseManifests(text: string): RenderedObject[] {
  return parseAllDocuments(text).map((doc) => {
    if (doc.errors.length) throw new Error(doc.errors.map((e) => e.message).join("; "));
    return doc.toJS() as RenderedObject;
  });
}

export const byKind = (objects: RenderedObject[], kind: string): RenderedObject[] => objects.filter((o) => o.kind === kind);
export const one = (objects: RenderedObject[], kind: string): RenderedObject => {
  const found = byKind(objects, kind);
  if (found.length !== 1) throw new Error(`expected one ${kind}, got ${found.length}`);
  return found[0]!;
};

/** True when every label the selector asks for is on the labels. */
export const selects = (selector: Record<string, string> | undefined, labels: Record<string, string> | undefined): boolean =>
  !!selector && Object.keys(selector).length > 0 && Object.entries(selector).every(([k, v]) => labels?.[k] === v);
