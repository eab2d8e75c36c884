/** How each server spells a call: where the load generator sends its batches. */

/** vial's invoke route (host/routes/invoke.ts). */
export const VIAL_INVOKE_PATH = (env: string, fn: string): string => `/v1/invoke/${env}/${fn}`;

/** The other contenders' route (floor, isolates, subprocess: bench/servers/). */
export const CONTENDER_CALL_PATH = (env: string, fn: string): string => `/call/${env}/${fn}`;
