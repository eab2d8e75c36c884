/**
 * No cluster runs here, so the rendered pod's constraints are reproduced on
 * this machine and the real host is started inside them: every mount
 * read-only but the container's emptyDirs (fresh tmpfs), node_modules/.cache
 * empty and read-only as in a fresh image, the container's user and fsGroup,
 * no capabilities, no new privileges. Not reproduced: the runtime's seccomp
 * profile (whether executors get namespaces depends on it; the host reports
 * which). Needs root (a mount namespace), as CI has.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { mkdir, readFile, rm } from "node:fs/promises";
import { promisify } from "node:util";
import { execFile } from "node:child_process";
import { join } from "node:path";
import { createInterface } from "node:readline";
import type { IDeployment } from "kubernetes-models/apps/v1/Deployment";
import type { Store } from "../../builds/store.ts";
import { renderCommand } from "../../cli/k8s/render.ts";
import { STORE_PATH } from "../../cli/k8s/pod.ts";
import { REPO, deployedStore, one, parseManifests } from "./helpers.ts";

const run = promisify(execFile);
let store: Store;
let pod: NonNullable<NonNullable<IDeployment["spec"]>["template"]["spec"]>;
let host: ChildProcess;
let address: string;
let stderr = "";

/** The shell that sets the pod's file system up in a private mount namespace, checks it, then becomes the container's user. */
function podScript(command: string[]): string {
  const container = pod.containers[0]!;
  const emptyDirs = container.volumeMounts!.filter((m) => pod.volumes!.find((v) => v.name === m.name)?.emptyDir);
  const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
  const ctx = container.securityContext!;
  const caps = ctx.capabilities!.drop!.includes("ALL") ? ["--inh-caps=-all", "--bounding-set=-all"] : [];
  // A checkout inside an emptyDir's path (a clone under /tmp) would vanish under its tmpfs: the shell's working
  // directory keeps it reachable, and it is bound back in place, read-only, as the image's layer would be.
  const hidden = emptyDirs.some((m) => REPO === m.mountPath || REPO.startsWith(`${m.mountPath}/`));
  return [
    "set -e",
    `cd ${q(REPO)}`,
    `for m in $(findmnt -rn -o TARGET); do case "$m" in /proc*|/sys*|/dev*) ;; *) mount -o remount,bind,ro "$m" 2>/dev/null || true ;; esac; done`,
    ...emptyDirs.map((m) => `mount -t tmpfs -o mode=1777,size=256m tmpfs ${q(m.mountPath)}`),
    ...(hidden ? [`mkdir -p ${q(REPO)}`, `mount --no-canonicalize --bind . ${q(REPO)}`, `mount -o remount,bind,ro ${q(REPO)}`] : []),
    `mount -t tmpfs -o ro,size=1m tmpfs ${q(join(REPO, "node_modules", ".cache"))}`,
    // The pod as rendered, or nothing: only the emptyDirs take writes.
    `if touch /vial-probe ${q(join(REPO, "vial-probe"))} 2>/dev/null; then echo "root file system is writable" >&2; exit 70; fi`,
    ...emptyDirs.map((m) => `touch ${q(m.mountPath)}/.probe && rm ${q(m.mountPath)}/.probe`),
    `exec setpriv --reuid=${ctx.runAsUser} --regid=${ctx.runAsGroup} --groups=${pod.securityContext!.fsGroup} ${caps.join(" ")}${ctx.allowPrivilegeEscalation === false ? " --no-new-privs" : ""} -- ${command.map(q).join(" ")}`,
  ].join("\n");
}

/** The container's arguments, with this machine's store and a free loopback port. */
function serveArgs(): string[] {
  const args = [...pod.containers[0]!.args!];
  args[args.indexOf("--store") + 1] = store.root;
  args[args.indexOf("--host") + 1] = "127.0.0.1";
  args[args.indexOf("--port") + 1] = "0";
  return args;
}

beforeAll(async () => {
  // Under the project's scratch folder: a 0700 temp folder would be closed to the container's user.
  store = await deployedStore(["fuzzy"], join(REPO, ".scratch"));
  // As the image's store layer is (the Dockerfile's chmod): readable by all, written by none but root.
  await run("chmod", ["-R", "a+rX,go-w", store.root]);
  const objects = parseManifests(await renderCommand({ name: "emulated", envs: "fuzzy", store: store.root }));
  pod = (one(objects, "Deployment") as unknown as IDeployment).spec!.template.spec!;
  expect(pod.containers[0]!.args).toContain(STORE_PATH);
  await mkdir(join(REPO, "node_modules", ".cache"), { recursive: true });
  host = spawn("unshare", ["--mount", "--propagation", "private", "--", "sh", "-c", podScript([process.execPath, join(REPO, "bin", "vial.js"), ...serveArgs()])], {
    env: { PATH: process.env.PATH, HOME: "/tmp" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  host.stderr!.on("data", (c: Buffer) => (stderr += c));
  const exited = once(host, "exit");
  address = await new Promise<string>((resolve, reject) => {
    createInterface({ input: host.stdout! }).on("line", (line) => {
      const match = /"address":"([^"]+)"/.exec(line);
      if (match) resolve(match[1]!);
    });
    void exited.then(([code]) => reject(new Error(`the host exited with ${code} before listening: ${stderr}`)));
  });
  for (;;) {
    if ((await fetch(`${address}/readyz`).then((r) => r.status, () => 0)) === 200) break;
    if (host.exitCode !== null) throw new Error(`the host exited: ${stderr}`);
    await new Promise((r) => setTimeout(r, 200));
  }
});

afterAll(async () => {
  if (host && host.exitCode === null) host.kill("SIGKILL");
  if (store) await rm(store.root, { recursive: true, force: true });
});

describe("the host inside the rendered pod's constraints", () => {
  it("serves on V8 isolates with its executors' code in the /tmp emptyDir", async () => {
    const response = await fetch(`${address}/v1/invoke/fuzzy/fuzzy_similarity`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ rows: [{ text: "Mocha brownie bars" }] }),
    });
    expect(response.status).toBe(200);
    expect(((await response.json()) as { rows: unknown[] }).rows).toHaveLength(1);
    const listing = (await (await fetch(`${address}/v1/environments`)).json()) as {
      environments: Array<{ engine: { running: string } }>;
      sandbox: { user: string; namespaces: boolean; warnings: string[] };
    };
    expect(listing.environments[0]!.engine.running).toBe("v8");
    expect(listing.sandbox.user).toBe(`the host's user (uid ${pod.containers[0]!.securityContext!.runAsUser})`);
    const children = (await readFile(`/proc/${host.pid}/task/${host.pid}/children`, "utf8")).trim().split(/\s+/);
    const commands = await Promise.all(children.map((pid) => readFile(`/proc/${pid}/cmdline`, "utf8").catch(() => "")));
    expect(commands.join("\n")).toMatch(new RegExp(`/tmp/vial-${pod.containers[0]!.securityContext!.runAsUser}/executor-[0-9a-f]{16}/executor\\.mjs`));
  });

  it("stops on SIGTERM within the pod's grace period, after the preStop sleep", async () => {
    const grace = pod.terminationGracePeriodSeconds! - Number(pod.containers[0]!.lifecycle!.preStop!.exec!.command![1]);
    const started = Date.now();
    host.kill("SIGTERM");
    const [code] = await once(host, "exit");
    expect(code, stderr).toBe(0);
    expect(Date.now() - started).toBeLessThan(grace * 1000);
  });
});
