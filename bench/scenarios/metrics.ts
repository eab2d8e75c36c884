/** The host's own count of requests that waited for an instance to be created, summed over environments. */
export async function requestPathInstantiations(origin: string): Promise<number | null> {
  const res = await fetch(`${origin}/metrics`);
  if (!res.ok) return null;
  const text = await res.text();
  let total = 0;
  let seen = false;
  for (const line of text.split("\n")) {
    const m = line.match(/^vial_request_path_instantiations_total(?:\{[^}]*\})?\s+([0-9.e+-]+)/);
    if (m) {
      seen = true;
      total += Number(m[1]);
    }
  }
  // Counters with labels only appear once incremented: no line at all means none happened.
  return seen || text.includes("vial_request_path_instantiations_total") ? total : null;
}
