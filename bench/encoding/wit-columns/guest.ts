// s64 reaches a QuickJS guest as a number (a BigInt on the jco host side).
interface Columns {
  text: string[];
  n: ArrayLike<number>;
  x: ArrayLike<number>;
}

export function call(batch: Columns): Columns {
  const len = batch.text.length;
  const n = new Array<number>(len);
  const x = new Array<number>(len);
  for (let i = 0; i < len; i++) {
    n[i] = batch.n[i] + 1;
    x[i] = batch.x[i] * 0.5;
  }
  return { text: batch.text, n, x };
}
