/**
 * An error the user can act on: the CLI prints only its message (one line) and
 * exits non-zero. Anything else is a bug and is printed with its stack.
 */
export class VialError extends Error {
  override name = "VialError";
}

export const notADependency = (specifier: string): string =>
  `cannot resolve '${specifier}': it is not a dependency of this environment (add it to the requirements and run 'vial env create' again)`;
