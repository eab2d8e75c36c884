/**
 * Reading a published version for running: its files must be the bytes its
 * manifest describes, and it may import nothing its language is not granted.
 * Everything that can be checked before an instance exists is checked here,
 * so a bad version is refused whole and whatever was serving keeps serving.
 */
import "../wasm/flags.ts";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { LoadError } from "../errors.ts";
import { sha256 } from "../digest.ts";
import { languageRuntime } from "../languages.ts";
import type { ArtifactFile, Manifest } from "../manifest.ts";
import { importsInBindings, ungrantedImports } from "./component-imports.ts";

/** A version's runnable parts, read and verified: what an executor is started with. */
export interface VersionArtifacts {
  env: string;
  version: string;
  manifest: Manifest;
  /** The jco bindings (ES module source) that wire the core modules into a component instance. */
  bindings: string;
  /** Core modules, as the bindings ask for them. */
  core: Array<[string, Uint8Array]>;
  /** JS: the bundle the component embeds, which the V8 engine runs (absent in versions built before it was kept). */
  bundle?: string;
}

export async function readVersion(versionDir: string, env: string, version: string): Promise<VersionArtifacts> {
  const refuse = (reason: string) => new LoadError(env, version, reason);
  let manifest: Manifest;
  try {
    manifest = JSON.parse(await readFile(join(versionDir, "manifest.json"), "utf8")) as Manifest;
  } catch (error) {
    const missing = (error as NodeJS.ErrnoException).code === "ENOENT";
    throw refuse(missing ? `environment '${env}' has no version '${version}' (no manifest.json: it was never published whole)` : `its manifest cannot be read: ${(error as Error).message}`);
  }

  const problems: string[] = [];
  const read = async (path: string, { sha256: expected }: ArtifactFile): Promise<Uint8Array> => {
    let bytes: Uint8Array;
    try {
      bytes = await readFile(join(versionDir, path));
    } catch {
      problems.push(`${path} is missing`);
      return new Uint8Array();
    }
    const actual = sha256(bytes);
    if (actual !== expected) problems.push(`${path} has sha256 ${actual.slice(0, 12)}…, the manifest says ${expected.slice(0, 12)}…`);
    return bytes;
  };
  // The component itself is not run (its core modules are), but it is the artifact: it must be intact too.
  await read(manifest.component.file, manifest.component);
  const bindings = new TextDecoder().decode(await read(manifest.bindings.file, manifest.bindings));
  const core: Array<[string, Uint8Array]> = [];
  for (const entry of manifest.core) core.push([entry.file, await read(join("core", entry.file), entry)]);
  const bundle = manifest.bundle ? new TextDecoder().decode(await read(manifest.bundle.file, manifest.bundle)) : undefined;
  if (problems.length) throw refuse(`${problems.join("; ")} (the version was modified after it was built: deploy it again)`);
  // Whichever engine runs it, the component is the artifact: its modules must at least be WebAssembly.
  const invalid = core.filter(([, bytes]) => !WebAssembly.validate(bytes as BufferSource)).map(([file]) => `core/${file}`);
  if (invalid.length) throw refuse(`its core modules do not compile: ${invalid.join(", ")} ${invalid.length > 1 ? "are" : "is"} not valid WebAssembly`);

  let allowlist: string[];
  try {
    allowlist = languageRuntime(manifest.language).allowlist;
  } catch (error) {
    throw refuse((error as Error).message);
  }
  const ungranted = ungrantedImports([...(manifest.imports ?? []), ...importsInBindings(bindings)], allowlist);
  if (ungranted.length) {
    const granted = allowlist.length ? allowlist.join(", ") : "nothing";
    throw refuse(
      `the component imports ${ungranted.map((i) => `'${i}'`).join(", ")}, but ${manifest.language} components are granted ${granted}: remove what uses ${ungranted.length > 1 ? "them" : "it"} and deploy again`,
    );
  }
  return { env, version, manifest, bindings, core, bundle };
}
