/**
 * `vial k8s render`: the group read and checked, the objects of the form asked
 * for, printed as multi-document YAML with a header saying what to build and
 * create beside them.
 */
import { isAbsolute, relative } from "node:path";
import { stringify } from "yaml";
import { VialError } from "../../builds/errors.ts";
import { readGroup, type Group, type RenderOptions } from "./group.ts";
import { offlineJob, type JobOptions } from "./offline-job.ts";
import { names } from "./pod.ts";
import { servingGroup } from "./serving-group.ts";
import { sidecar } from "./sidecar.ts";

export interface RenderCommandOptions extends RenderOptions, JobOptions {
  socket?: boolean;
  job?: boolean;
  appImage?: string;
}

export type KubernetesObject = { apiVersion: string; kind: string };

const JOB_FLAGS = { fn: "--fn", input: "--input", output: "--output", shards: "--shards", parallelism: "--parallelism", dataClaim: "--data-claim" } as const;

/** Flags of one form given to another would be ignored: say so instead. */
function checkForm(opts: RenderCommandOptions): void {
  if (opts.socket && opts.job) throw new VialError("--socket and --job are different forms: choose one");
  const stray = Object.entries(JOB_FLAGS).filter(([key]) => !opts.job && opts[key as keyof typeof JOB_FLAGS] !== undefined);
  if (stray.length) throw new VialError(`${stray.map(([, flag]) => flag).join(", ")} go with --job (the offline form)`);
  if (opts.appImage !== undefined && !opts.socket) throw new VialError("--app-image goes with --socket (the sidecar form)");
}

export function renderObjects(group: Group, opts: RenderCommandOptions): KubernetesObject[] {
  checkForm(opts);
  if (opts.socket) return sidecar(group, opts.appImage ?? "feature-server");
  if (opts.job) return offlineJob(group, opts);
  return servingGroup(group);
}

/** A path as given on a command line here: relative to the working folder when inside it. */
function shown(path: string): string {
  const dir = relative(process.cwd(), path);
  return dir === "" ? "." : dir.startsWith("..") || isAbsolute(dir) ? path : dir;
}

function header(group: Group, opts: RenderCommandOptions): string[] {
  const form = opts.socket ? "sidecar (merge the template's initContainers, volumes and volumeMounts into the feature server's pod)" : opts.job ? "offline run" : "serving group";
  const envList = group.environments.map((e) => e.name).join(",");
  return [
    `# vial ${form} '${group.name}': ${group.environments.map((e) => `${e.name}@${e.version}`).join(", ")}`,
    group.storeClaim
      ? `# store: claim '${group.storeClaim}', mounted read-only; image ${group.image} needs none (docker build -t ${group.image} .)`
      : `# store: baked into the image: npm run image -- --envs ${envList} --store ${shown(group.storeRoot)} --tag ${group.image} (or docker build --build-context store=${shown(group.storeRoot)} --build-arg VIAL_ENVS=${envList} -t ${group.image} .)`,
    ...(opts.job ? [] : [`# tokens (optional): kubectl create secret generic ${names(group).secret} --from-literal=tokens='<token>=${envList}'`]),
  ];
}

export const toYaml = (objects: KubernetesObject[]): string => objects.map((o) => stringify(o, { lineWidth: 0 })).join("---\n");

export async function renderCommand(opts: RenderCommandOptions): Promise<string> {
  const group = await readGroup(opts);
  const objects = renderObjects(group, opts);
  return `${header(group, opts).join("\n")}\n${toYaml(objects)}`;
}
