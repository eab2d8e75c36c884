// s64 reaches a QuickJS guest as a number (a BigInt on the jco host side).
interface WitRow {
  text: string;
  n: number;
  x: number;
}

export function call(batch: WitRow[]): WitRow[] {
  return batch.map((r) => ({ text: r.text, n: r.n + 1, x: r.x * 0.5 }));
}
