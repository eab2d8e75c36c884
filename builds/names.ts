/**
 * What environment and function names look like: one rule for the commands
 * that make them (`vial env create`, `vial deploy`), the store that keeps
 * them as folder names, and the host that is asked for them in URLs and
 * admin calls. A name that passes is safe as a path segment and as a URL
 * segment: no dots, slashes, spaces or anything outside ASCII.
 */
import { VialError } from "./errors.ts";

const ENVIRONMENT_NAME = /^[a-z][a-z0-9-]{0,62}$/;
/** An identifier in JS and in Python alike, ASCII only: what an export or a `def` can be named in both SDKs. */
const FUNCTION_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/;

export const NAME_RULES = {
  environment: {
    pattern: ENVIRONMENT_NAME,
    maxLength: 63,
    rule: "environment names are lowercase letters, digits and '-', starting with a letter, at most 63 characters",
  },
  function: {
    pattern: FUNCTION_NAME,
    maxLength: 128,
    rule: "function names are identifiers: ASCII letters, digits and '_', not starting with a digit, at most 128 characters",
  },
} as const;

export type NameKind = keyof typeof NAME_RULES;

/** A name as an error message may quote it: control characters escaped, shortened so a megabyte of name is not echoed back. */
const quoted = (name: string): string => JSON.stringify(name.length > 70 ? `${name.slice(0, 64)}…` : name).slice(1, -1);

/** Why `name` cannot be an environment's or a function's name, or undefined when it can. */
export function nameProblem(kind: NameKind, name: unknown): string | undefined {
  const { pattern, rule } = NAME_RULES[kind];
  if (typeof name === "string" && pattern.test(name)) return undefined;
  return typeof name === "string" ? `invalid ${kind} name '${quoted(name)}': ${rule}` : `the ${kind} name must be a string: ${rule}`;
}

export const isEnvironmentName = (name: string): boolean => ENVIRONMENT_NAME.test(name);

export function checkEnvironmentName(name: string): void {
  const problem = nameProblem("environment", name);
  if (problem) throw new VialError(problem);
}
