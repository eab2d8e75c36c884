/**
 * An error the user can act on: the CLI prints only its message (one line) and
 * exits non-zero. Anything else is a bug and is printed with its stack.
 */
export class VialError extends Error {
  override name = "VialError";
}
