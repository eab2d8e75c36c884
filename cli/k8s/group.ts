/**
 * A serving group as the manifests need it, read from the command's options,
 * the store and the host configuration, every input checked: a mistake is one
 * line that says what to fix, before anything is printed.
 */
import { readFileSync } from "node:fs";
import { Store } from "../../builds/store.ts";
import { VialError } from "../../builds/errors.ts";
import { DEFAULT_CONFIG, parseConfigFile, type HostConfig } from "../../host/config.ts";
import { resolvePolicy, type PoolPolicy } from "../../supervision/policy.ts";
import { sha256 } from "../../runtime/digest.ts";
import type { Manifest } from "../../runtime/manifest.ts";

export interface RenderOptions {
  name: string;
  envs: string;
  image?: string;
  min?: string;
  max?: string;
  scaleOn?: "cpu" | "busy";
  cpu?: string;
  config?: string;
  namespace?: string;
  storeClaim?: string;
  runtimeClass?: string;
  store?: string;
}

export interface GroupEnvironment {
  name: string;
  version: string;
  manifest: Manifest;
  pool: PoolPolicy;
}

export interface Group {
  name: string;
  /** The store read, absolute. */
  storeRoot: string;
  namespace?: string;
  image: string;
  environments: GroupEnvironment[];
  /** The host configuration file's text (no secrets in it), shipped as a ConfigMap. */
  configText?: string;
  drainTimeoutMs: number;
  replicas: { min: number; max: number };
  scaleOn: "cpu" | "busy";
  cpuRequest: string;
  /** A PersistentVolumeClaim holding the store, mounted read-only; unset: the store is baked into the image. */
  storeClaim?: string;
  runtimeClass?: string;
}

const DNS_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const CPU_QUANTITY = /^(\d+(\.\d+)?|\d+m)$/;

/** A name that becomes part of object names (`vial-<name>-…`): short enough for every suffix. */
export function checkName(flag: string, value: string | undefined, max = 40): string | undefined {
  if (value === undefined) return undefined;
  if (!DNS_LABEL.test(value) || value.length > max) {
    throw new VialError(`${flag} must be a DNS label: lowercase letters, digits and '-', starting with a letter, at most ${max} characters (got '${value}')`);
  }
  return value;
}

/** The name of an existing object (a claim, a runtime class): a DNS subdomain. */
export function checkObjectName(flag: string, value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  if (!DNS_SUBDOMAIN.test(value) || value.length > 253) {
    throw new VialError(`${flag} must name a Kubernetes object: lowercase letters, digits, '-' and '.' (got '${value}')`);
  }
  return value;
}

export function integer(flag: string, value: string | undefined, fallback: number, min: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) throw new VialError(`${flag} must be a whole number of at least ${min} (got '${value}')`);
  return n;
}

function readConfig(file: string | undefined): { text?: string; config: Partial<HostConfig> } {
  if (!file) return { config: {} };
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    throw new VialError(`cannot read --config ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  const config = parseConfigFile(text, file);
  if (config.tokens || config.adminToken) {
    throw new VialError(`${file} holds tokens: a ConfigMap is no place for them; remove "tokens"/"adminToken" and put them in the Secret the manifests name (VIAL_TOKENS, VIAL_ADMIN_TOKEN)`);
  }
  return { text, config };
}

async function readEnvironments(store: Store, names: string[], config: Partial<HostConfig>): Promise<GroupEnvironment[]> {
  const known = await store.environments();
  const out: GroupEnvironment[] = [];
  for (const name of names) {
    if (!known.includes(name)) {
      throw new VialError(`--envs: no environment '${name}' in ${store.root} (it has: ${known.join(", ") || "none"}); create and deploy it first, or pass --store`);
    }
    const current = await store.current(name);
    if (!current) throw new VialError(`--envs: environment '${name}' has no deployed version: run 'vial deploy <module> --env ${name}' first`);
    const manifest = await store.readManifest(name, current.version);
    out.push({ name, version: current.version, manifest, pool: resolvePolicy(config.pool, config.environments?.[name]) });
  }
  return out;
}

function drainTimeout(config: Partial<HostConfig>): number {
  const ms = config.drainTimeoutMs ?? DEFAULT_CONFIG.drainTimeoutMs;
  if (!Number.isInteger(ms) || ms < 0) throw new VialError(`drainTimeoutMs in --config must be a whole number of milliseconds (got ${JSON.stringify(ms)})`);
  return ms;
}

export function splitEnvs(envs: string): string[] {
  const names = envs.split(",").map((e) => e.trim());
  if (names.some((n) => n === "")) throw new VialError(`--envs must list environment names separated by commas (got '${envs}')`);
  const repeated = names.find((n, i) => names.indexOf(n) !== i);
  if (repeated) throw new VialError(`--envs names '${repeated}' twice`);
  return names;
}

/**
 * The image by default: with the store baked in, named after the group and tagged by its versions (a new
 * version, a new tag); without (a mounted store), vial's own at this version.
 */
function defaultImage(name: string, envs: GroupEnvironment[], storeClaim: string | undefined): string {
  if (storeClaim) return `vial:${(JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version: string }).version}`;
  return `vial-${name}:${sha256(envs.map((e) => `${e.name}@${e.version}`).join(",")).slice(0, 12)}`;
}

export async function readGroup(opts: RenderOptions): Promise<Group> {
  const name = checkName("--name", opts.name)!;
  const store = new Store(opts.store);
  const { text, config } = readConfig(opts.config);
  const environments = await readEnvironments(store, splitEnvs(opts.envs), config);
  const min = integer("--min", opts.min, 2, 1);
  const max = integer("--max", opts.max, Math.max(min, 10), 1);
  if (min > max) throw new VialError(`--min (${min}) is more than --max (${max}): the group cannot scale between them`);
  if (opts.cpu !== undefined && !CPU_QUANTITY.test(opts.cpu)) throw new VialError(`--cpu must be a CPU quantity such as 500m or 2 (got '${opts.cpu}')`);
  if (opts.image !== undefined && !/^[^\s]+$/.test(opts.image)) throw new VialError(`--image must be an image reference without spaces (got '${opts.image}')`);
  return {
    name,
    storeRoot: store.root,
    namespace: checkName("--namespace", opts.namespace, 63),
    image: opts.image ?? defaultImage(name, environments, opts.storeClaim),
    environments,
    configText: text,
    drainTimeoutMs: drainTimeout(config),
    replicas: { min, max },
    scaleOn: opts.scaleOn ?? "cpu",
    cpuRequest: opts.cpu ?? "1",
    storeClaim: checkObjectName("--store-claim", opts.storeClaim),
    runtimeClass: checkObjectName("--runtime-class", opts.runtimeClass),
  };
}
