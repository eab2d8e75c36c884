/** Request bodies, `{"rows": [...]}` as the host takes them: the same bytes for every contender, serialized once. */
const TEXTS = [
  "Mocha brownie bars",
  "Cheesecake fudge",
  "Mocha Cheesecake Fudge Brownie Bars",
  "Chocolate chip cookie dough",
  "Fudge ☕ brownies 🍫",
  "Vanilla bean ice cream sandwich",
  "brownie",
  "Mocha Fudge Bars (family size)",
];

export const fuzzyRows = (n: number) => Array.from({ length: n }, (_, i) => ({ text: `${TEXTS[i % TEXTS.length]} #${i}` }));
export const identityRows = (n: number) => Array.from({ length: n }, (_, i) => ({ id: i, text: `row ${i}` }));

export const fuzzyBatch = (n: number): string => JSON.stringify({ rows: fuzzyRows(n) });
export const identityBatch = (n: number): string => JSON.stringify({ rows: identityRows(n) });

/** A fixed pseudo-random sequence in [0, 1): the same rows in every process and run. */
function sequence(seed: number): () => number {
  let x = seed;
  return () => (x = (x * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
}

/** A request's location and a stored home location, anywhere on Earth. */
export function haversineRows(n: number) {
  const next = sequence(11);
  const deg = (range: number) => Math.round((next() * 2 - 1) * range * 1e6) / 1e6;
  return Array.from({ length: n }, () => ({ lat: deg(90), lon: deg(180), home_lat: deg(90), home_lon: deg(180) }));
}

/** 32-dimensional embeddings (bench/fixtures/python/cosine). */
export function cosineRows(n: number) {
  const next = sequence(7);
  return Array.from({ length: n }, () => ({ embedding: Array.from({ length: 32 }, () => Math.round((next() * 2 - 1) * 1e6) / 1e6) }));
}
