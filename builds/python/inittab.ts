// The C that registers statically linked extension modules with the
// interpreter (WASI has no dlopen): glue.c calls vial_extend_inittab() before
// the interpreter starts. Dotted names are found by the runtime's
// builtin-submodule finder (vial/_runtime.py).
import type { ExtensionModule } from "./native-build.ts";

export function inittabSource(modules: ExtensionModule[]): string {
  const identifier = /^[A-Za-z_][A-Za-z0-9_]*$/;
  for (const m of modules) {
    if (!identifier.test(m.init) || !/^[A-Za-z0-9_.]+$/.test(m.module)) throw new Error(`not an extension module: ${m.module} (${m.init})`);
  }
  const inits = [...new Set(modules.map((m) => m.init))];
  if (inits.length !== modules.length) throw new Error(`two extension modules share an init function: ${modules.map((m) => m.module).join(", ")}`);
  return [
    "#include <Python.h>",
    ...inits.map((init) => `PyMODINIT_FUNC ${init}(void);`),
    "void vial_extend_inittab(void) {",
    ...modules.map((m) => `  PyImport_AppendInittab("${m.module}", ${m.init});`),
    "}",
    "",
  ].join("\n");
}
