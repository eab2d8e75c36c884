/**
 * How this executor makes instances of its version: isolates running the
 * bundle (v8), or threads running the component's core modules, compiled
 * once here. The host has chosen which (host/executors/engine.ts).
 */
import { freshEntropy } from "../runtime/guest.ts";
import type { InstanceFactory } from "../runtime/instance.ts";
import { compileCore } from "../runtime/component/instantiate.ts";
import { ComponentThread } from "../runtime/component/thread.ts";
import { IsolateInstance } from "../runtime/v8/instance.ts";
import type { ExecutorSetup } from "./protocol.ts";

/** V8 lost control of an isolate, or a disposed isolate kept its thread: this process must end. */
export type Fatal = (reason: string) => never;

export async function instanceFactory(setup: ExecutorSetup, fatal: Fatal): Promise<InstanceFactory> {
  const limits = { memoryLimitBytes: setup.memoryLimitBytes, outputLimitBytes: setup.outputLimitBytes };
  if (setup.engine === "v8") {
    const bundle = setup.version.bundle;
    if (bundle === undefined) throw new Error("the version has no bundle for the V8 engine");
    return () =>
      IsolateInstance.start(bundle, {
        ...limits,
        onCatastrophicError: (message) => fatal(`V8 lost control of an isolate: ${message}`),
        unyielding: () => fatal("an isolate did not stop running after it was disposed"),
      });
  }
  const modules = [...(await compileCore(setup.version.core, setup.memoryLimitBytes))];
  const { language } = setup.version.manifest;
  return (exited) => ComponentThread.start(setup.componentWorker, { language, bindings: setup.version.bindings, modules, limits, entropy: freshEntropy() }, exited);
}
