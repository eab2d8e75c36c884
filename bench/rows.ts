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
