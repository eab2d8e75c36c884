/**
 * Type-checks a TypeScript transformation module before it is bundled: with the
 * SDK's inferred row types, a handler that breaks its output schema fails here,
 * at deploy, with the line to fix.
 */
import { dirname, join, relative } from "node:path";
import { isBuiltin } from "node:module";
import type { Diagnostic } from "typescript";
import { fileURLToPath } from "node:url";
import { VialError, notADependency } from "../errors.ts";

const SDK_INDEX = fileURLToPath(new URL("../../guest-sdk/js/index.ts", import.meta.url));
const GUEST_GLOBALS = fileURLToPath(new URL("../../guest-sdk/js/guest-env.d.ts", import.meta.url));
/** "Could not find a declaration file": an untyped package is allowed (its imports are `any`). */
const UNTYPED_PACKAGE = 7016;
/** Node built-ins are left untyped: the bundle maps them to pure-JS versions. */
const MODULE_NOT_FOUND = 2307;

/** The specifier of a "cannot find module" diagnostic. */
function missingModule(d: Diagnostic): string | undefined {
  const text = typeof d.messageText === "string" ? d.messageText : d.messageText.messageText;
  return text.match(/module '([^']+)'/)?.[1];
}

export async function typecheckModule(modulePath: string, nodeModules?: string): Promise<void> {
  const ts = (await import("typescript")).default;
  const paths: Record<string, string[]> = { "@vial/guest": [SDK_INDEX] };
  if (nodeModules) paths["*"] = [join(nodeModules, "*"), join(nodeModules, "@types", "*")];
  const program = ts.createProgram([modulePath, GUEST_GLOBALS], {
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.ESNext,
    moduleResolution: ts.ModuleResolutionKind.Bundler,
    allowImportingTsExtensions: true,
    esModuleInterop: true,
    baseUrl: dirname(modulePath),
    paths,
    types: [],
    lib: ["lib.es2022.d.ts"],
  });
  const source = program.getSourceFile(modulePath);
  const diagnostics = [...program.getSyntacticDiagnostics(source), ...program.getSemanticDiagnostics(source)].filter(
    (d) => d.code !== UNTYPED_PACKAGE && !(d.code === MODULE_NOT_FOUND && isBuiltin(missingModule(d) ?? "")),
  );
  if (diagnostics.length === 0) return;
  const d = diagnostics[0];
  const missing = d.code === MODULE_NOT_FOUND ? missingModule(d) : undefined;
  const text = missing ? notADependency(missing) : ts.flattenDiagnosticMessageText(d.messageText, " ");
  const where = d.file && d.start !== undefined ? d.file.getLineAndCharacterOfPosition(d.start) : undefined;
  const location = where ? `${relative(process.cwd(), modulePath)}:${where.line + 1}:${where.character + 1}` : modulePath;
  const more = diagnostics.length > 1 ? ` (and ${diagnostics.length - 1} more)` : "";
  throw new VialError(`${location}: ${text}${more}`);
}
