/** The benchmark row and the identity-ish work every guest does on it. */
export interface Row {
  text: string;
  n: number;
  x: number;
}

/** Touches every field, so no engine can skip decoding any of them. */
export const touch = (r: Row): Row => ({ text: r.text, n: r.n + 1, x: r.x * 0.5 });

const WORDS = ["mocha", "cheesecake", "fudge", "brownie", "bars", "café", "naïve", "organic", "dark", "chocolate", "vanilla", "crème"];

/** Deterministic rows with 20-60 character texts (some non-ASCII) and mixed numbers. */
export function makeRows(count: number): Row[] {
  const rows: Row[] = [];
  let seed = 12345;
  const next = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0);
  for (let i = 0; i < count; i++) {
    const words: string[] = [];
    const len = 3 + (next() % 6);
    for (let w = 0; w < len; w++) words.push(WORDS[next() % WORDS.length]);
    rows.push({ text: words.join(" "), n: next() % 1_000_000, x: (next() % 100_000) / 997 });
  }
  return rows;
}
