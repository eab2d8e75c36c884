/**
 * The V8 engine: a version's bundle in isolated-vm isolates (runtime/engines/engine.ts).
 * Its instances' code is loaded when first needed: the host reads only its flags.
 */
import type { EngineDriver } from "../engines/engine.ts";

const bundleOf = (version: { bundle?: string }): string => {
  if (version.bundle === undefined) throw new Error("this version has no bundle for the V8 engine (deploy it again)");
  return version.bundle;
};

export const v8Engine: EngineDriver = {
  description: "the bundle in V8 isolates",
  // isolated-vm is a native addon.
  nodeFlags: () => ["--allow-addons"],
  async instanceFactory(setup, fatal) {
    const bundle = bundleOf(setup.version);
    const { IsolateInstance } = await import("./instance.ts");
    const limits = { memoryLimitBytes: setup.memoryLimitBytes, outputLimitBytes: setup.outputLimitBytes };
    return () =>
      IsolateInstance.start(bundle, {
        ...limits,
        onCatastrophicError: (message) => fatal(`V8 lost control of an isolate: ${message}`),
        unyielding: () => fatal("an isolate did not stop running after it was disposed"),
      });
  },
  async instantiate(version, memoryLimitBytes) {
    const { startIsolate } = await import("./isolate.ts");
    const isolate = await startIsolate(bundleOf(version), { memoryLimitBytes });
    return { ...isolate, stop: () => isolate.dispose() };
  },
};
