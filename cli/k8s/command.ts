/** `vial k8s`: Kubernetes manifests for the environments in a store. */
import { Option, type Command } from "commander";
import { renderCommand, type RenderCommandOptions } from "./render.ts";

export function registerK8s(program: Command): void {
  const k8s = program.command("k8s").description("Kubernetes manifests for serving groups, sidecars and offline runs");
  k8s
    .command("render")
    .description("print the manifests of one serving group (or, with --socket, a sidecar; with --job, an offline run) as YAML")
    .requiredOption("--name <group>", "the group's name (objects are named vial-<group>)")
    .requiredOption("--envs <a,b,...>", "the environments the group serves, each with a deployed version")
    .option("--image <ref>", "vial image (default: vial-<group>:<tag from the versions>, built with the store baked in; with --store-claim, vial:<version>)")
    .option("--min <n>", "fewest replicas (default 2)")
    .option("--max <n>", "most replicas (default 10, at least --min)")
    .addOption(new Option("--scale-on <signal>", "autoscaling signal: CPU, or the busy-instance ratio through a custom metric").choices(["cpu", "busy"]).default("cpu"))
    .option("--cpu <quantity>", "CPU request (default 1); with --job, whole cores, one worker each (default 2)")
    .option("--config <file>", "host configuration (vial.config.json, no tokens) shipped as a ConfigMap")
    .option("--namespace <ns>", "namespace of the objects (default: kubectl's)")
    .option("--store-claim <claim>", "mount the store from this PersistentVolumeClaim read-only instead of baking it into the image")
    .option("--runtime-class <name>", "a RuntimeClass for the pods (a sandboxed runtime such as gVisor or Kata)")
    .option("--socket", "the sidecar form: vial beside a feature server, on a unix socket in a shared emptyDir")
    .option("--app-image <ref>", "with --socket: the feature server's image (default feature-server)")
    .option("--job", "an indexed Job of 'vial run' shards over a file of rows")
    .option("--fn <name>", "with --job: the function to run")
    .option("--input <path>", "with --job: the rows, a path on the data claim")
    .option("--output <path>", "with --job: the results, a path on the data claim (each shard writes <name>.part-<i><ext>)")
    .option("--shards <n>", "with --job: how many shards (default 1)")
    .option("--parallelism <n>", "with --job: shards running at once (default: all)")
    .option("--data-claim <claim>", "with --job: the PersistentVolumeClaim mounted at /data")
    .option("--store <dir>", "artifact store (default: $VIAL_STORE or ./.vial)")
    .action(async (opts: RenderCommandOptions) => {
      process.stdout.write(await renderCommand(opts));
    });
}
