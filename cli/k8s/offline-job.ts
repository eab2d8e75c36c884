/**
 * The offline form: an indexed Job whose pods each run `vial run` over one
 * shard of a file of rows (`--shard <JOB_COMPLETION_INDEX>/<n>`), reading
 * and writing on a claim mounted at /data; `vial merge` joins the parts.
 * Its pods get the serving pods' hardening and no network at all.
 */
import type { IJob } from "kubernetes-models/batch/v1/Job";
import type { INetworkPolicy } from "kubernetes-models/networking.k8s.io/v1/NetworkPolicy";
import type { IResourceRequirements } from "kubernetes-models/v1/ResourceRequirements";
import { posix } from "node:path";
import { VialError } from "../../builds/errors.ts";
import { checkObjectName, integer, type Group } from "./group.ts";
import { configVolume, labels, objectMeta, podSecurity, STORE_PATH, versionsAnnotation, vialContainer, vialVolumes } from "./pod.ts";

const COMPONENT = "offline-run";
export const DATA_PATH = "/data";
const SHARD = "$(JOB_COMPLETION_INDEX)";

export interface JobOptions {
  fn?: string;
  input?: string;
  output?: string;
  shards?: string;
  parallelism?: string;
  dataClaim?: string;
  cpu?: string;
}

interface RunSpec {
  env: string;
  fn: string;
  input: string;
  /** With the shard's index in it: `features.part-$(JOB_COMPLETION_INDEX).ndjson`. */
  output: string;
  shards: number;
  parallelism: number;
  dataClaim: string;
  workers: number;
}

/** A path on the data claim: relative to its root, never out of it. */
function dataPath(flag: string, value: string | undefined): string {
  if (!value) throw new VialError(`--job needs ${flag} <path>: a file on the --data-claim volume, relative to its root`);
  const path = posix.normalize(value.replace(/^\/+/, ""));
  if (path === "." || path.startsWith("..")) throw new VialError(`${flag} must name a file inside the data volume (got '${value}')`);
  return posix.join(DATA_PATH, path);
}

export function readRunSpec(group: Group, opts: JobOptions): RunSpec {
  if (group.environments.length !== 1) throw new VialError(`--job runs one environment: give --envs a single name (got ${group.environments.length})`);
  const [env] = group.environments;
  const functions = env.manifest.functions.map((f) => f.name);
  if (!opts.fn) throw new VialError(`--job needs --fn <name>: one of ${functions.join(", ")}`);
  if (!functions.includes(opts.fn)) throw new VialError(`--fn: '${env.name}@${env.version}' has no function '${opts.fn}' (it has: ${functions.join(", ")})`);
  const dataClaim = checkObjectName("--data-claim", opts.dataClaim);
  if (!dataClaim) throw new VialError("--job needs --data-claim <claim>: the PersistentVolumeClaim holding the input and receiving the outputs");
  const input = dataPath("--input", opts.input);
  const output = dataPath("--output", opts.output);
  const ext = posix.extname(output);
  const shards = integer("--shards", opts.shards, 1, 1);
  const cores = opts.cpu === undefined ? 2 : Number(opts.cpu);
  if (!Number.isInteger(cores) || cores < 1) throw new VialError(`--cpu for --job must be a whole number of cores: one executor each (got '${opts.cpu}')`);
  return {
    env: env.name,
    fn: opts.fn,
    input,
    output: `${output.slice(0, output.length - ext.length)}.part-${SHARD}${ext}`,
    shards,
    parallelism: integer("--parallelism", opts.parallelism, shards, 1),
    dataClaim,
    workers: cores,
  };
}

/** A core per worker (one executor with one instance each), the instance's memory cap per worker. */
function jobResources(group: Group, run: RunSpec): IResourceRequirements {
  const capMiB = group.environments[0].pool.memoryLimitBytes / 2 ** 20;
  return {
    requests: { cpu: String(run.workers), memory: `${256 + 96 * run.workers}Mi`, "ephemeral-storage": "64Mi" },
    limits: { cpu: String(run.workers), memory: `${512 + (128 + capMiB) * run.workers}Mi`, "ephemeral-storage": "512Mi" },
  };
}

function job(group: Group, run: RunSpec): IJob {
  const args = ["run", "--store", STORE_PATH, "--env", run.env, "--fn", run.fn, "--input", run.input, "--output", run.output];
  args.push("--shard", `${SHARD}/${run.shards}`, "--workers", String(run.workers), ...configVolume(group).args);
  return {
    apiVersion: "batch/v1",
    kind: "Job",
    metadata: objectMeta(group, `vial-${group.name}-run`, COMPONENT),
    spec: {
      completionMode: "Indexed",
      completions: run.shards,
      parallelism: run.parallelism,
      // A failed shard is retried on its own; the others' work stands.
      backoffLimitPerIndex: 2,
      ttlSecondsAfterFinished: 7 * 24 * 3600,
      template: {
        metadata: { labels: labels(group, COMPONENT), annotations: versionsAnnotation(group) },
        spec: {
          restartPolicy: "Never",
          automountServiceAccountToken: false,
          enableServiceLinks: false,
          securityContext: podSecurity,
          ...(group.runtimeClass ? { runtimeClassName: group.runtimeClass } : {}),
          containers: [
            vialContainer(group, args, {
              // Set by the Job controller too; declared so that $(JOB_COMPLETION_INDEX) in args expands.
              env: [{ name: "JOB_COMPLETION_INDEX", valueFrom: { fieldRef: { fieldPath: "metadata.annotations['batch.kubernetes.io/job-completion-index']" } } }],
              resources: jobResources(group, run),
              volumeMounts: [{ name: "vial-data", mountPath: DATA_PATH }],
            }),
          ],
          volumes: [...vialVolumes(group), { name: "vial-data", persistentVolumeClaim: { claimName: run.dataClaim } }],
        },
      },
    },
  };
}

/** Nothing in, nothing out: the runner reads and writes the claim only. */
function isolation(group: Group): INetworkPolicy {
  return {
    apiVersion: "networking.k8s.io/v1",
    kind: "NetworkPolicy",
    metadata: objectMeta(group, `vial-${group.name}-run`, COMPONENT),
    spec: { podSelector: { matchLabels: labels(group, COMPONENT) }, policyTypes: ["Ingress", "Egress"], ingress: [], egress: [] },
  };
}

export function offlineJob(group: Group, opts: JobOptions) {
  const run = readRunSpec(group, opts);
  return [job(group, run), isolation(group)];
}
