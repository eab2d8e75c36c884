/** Generates TypeScript types from an OpenAPI document (openapi-typescript) and type-checks code against them. */
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import ts from "typescript";
import openapiTS, { astToString } from "openapi-typescript";

/** The type errors of `code` (which imports `paths` and `components` from "./api"), one line each. */
export async function typeErrors(document: object, code: string): Promise<string[]> {
  const dir = await mkdtemp(join(tmpdir(), "vial-typed-client-"));
  await writeFile(join(dir, "api.ts"), astToString(await openapiTS(document as never)));
  await writeFile(join(dir, "client.ts"), code);
  const program = ts.createProgram([join(dir, "client.ts")], { strict: true, noEmit: true, target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ESNext, moduleResolution: ts.ModuleResolutionKind.Bundler, types: [] });
  return ts.getPreEmitDiagnostics(program).map((d) => ts.flattenDiagnosticMessageText(d.messageText, " "));
}
