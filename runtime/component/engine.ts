/**
 * The component engine: a version's WebAssembly component, its core modules
 * compiled once, one instance per worker thread (runtime/engines/engine.ts).
 * Its instances' code is loaded when first needed: the host reads only its flags.
 */
import type { EngineDriver } from "../engines/engine.ts";
import { freshEntropy } from "../guest.ts";

export const componentEngine: EngineDriver = {
  description: "the WebAssembly component",
  // Instances are worker threads, their modules compiled whole before any runs. koffi, which the confined
  // executor denies itself exec with, is an addon.
  nodeFlags: ({ confined }) => ["--allow-worker", "--no-wasm-lazy-compilation", ...(confined ? ["--allow-addons"] : [])],
  async instanceFactory(setup) {
    const [{ compileCore }, { ComponentThread }] = await Promise.all([import("./instantiate.ts"), import("./thread.ts")]);
    const modules = [...(await compileCore(setup.version.core, setup.memoryLimitBytes))];
    const { language } = setup.version.manifest;
    const limits = { memoryLimitBytes: setup.memoryLimitBytes, outputLimitBytes: setup.outputLimitBytes };
    return (exited) => ComponentThread.start(setup.componentWorker, { language, bindings: setup.version.bindings, modules, limits, entropy: freshEntropy() }, exited);
  },
  async instantiate(version, memoryLimitBytes) {
    const { compileCore, instantiateComponent } = await import("./instantiate.ts");
    const modules = await compileCore(version.core, memoryLimitBytes);
    return { ...(await instantiateComponent({ language: version.language, bindings: version.bindings, modules })), stop: () => {} };
  },
};
