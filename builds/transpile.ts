/**
 * Splits a component into what the host runs: core WASM modules, compiled once
 * per version, and the JS bindings that wire them (jco transpile, with
 * instantiation left to the host so it supplies every import itself).
 */
import { transpileBytes } from "@bytecodealliance/jco-transpile";

export interface Transpiled {
  /** Core module file name -> bytes, as the bindings ask for them. */
  core: Map<string, Uint8Array>;
  bindings: Uint8Array;
  /** WIT interfaces the component imports (versioned names). */
  imports: string[];
}

export const BINDINGS_NAME = "component";

export async function transpileComponent(component: Uint8Array): Promise<Transpiled> {
  const result = await transpileBytes(component, {
    name: BINDINGS_NAME,
    instantiation: "async",
    emitTypescriptDeclarations: false,
    base64Cutoff: 0,
  });
  const core = new Map<string, Uint8Array>();
  let bindings: Uint8Array | undefined;
  for (const [file, bytes] of Object.entries(result.files)) {
    if (file.endsWith(".wasm")) core.set(file, bytes);
    else if (file === `${BINDINGS_NAME}.js`) bindings = bytes;
  }
  if (!bindings) throw new Error("jco transpile produced no bindings");
  return { core, bindings, imports: result.imports };
}
