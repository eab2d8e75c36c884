/**
 * The invoke call's own headers, read the same way wherever a call arrives:
 * the host's route and an executor's own socket.
 */
import type { NonFiniteForm } from "./codec.ts";
import { badRequest } from "./errors.ts";

export const DEADLINE_HEADER = "x-vial-deadline-ms";
export const NON_FINITE_HEADER = "x-vial-non-finite";

/** The deadline a caller asks for (it can only lower the environment's), or undefined. */
export function deadlineFrom(header: string | undefined): number | undefined {
  if (header === undefined) return undefined;
  const ms = Number(header);
  if (!Number.isFinite(ms) || ms <= 0) throw badRequest(`${DEADLINE_HEADER} must be a positive number of milliseconds, got '${header.slice(0, 40)}'`);
  return ms;
}

export function nonFiniteFrom(header: string | undefined): NonFiniteForm {
  const form = header?.trim().toLowerCase() ?? "null";
  if (form === "null" || form === "string") return form;
  throw badRequest(`${NON_FINITE_HEADER} must be 'null' or 'string', got '${header!.slice(0, 40)}'`);
}
