/** How the host spells an invoke (host/routes/invoke.ts): where the load generator sends vial's batches. */
export const VIAL_INVOKE_PATH = (env: string, fn: string): string => `/v1/invoke/${env}/${fn}`;
