// wasi:random/random: node:crypto by default; a seed gives a deterministic
// SHA-256 counter stream instead (for reproducible tests only).
import { createHash, randomBytes } from "node:crypto";

export function randomSource(seed?: Uint8Array): (n: number) => Uint8Array {
  if (!seed) return (n) => new Uint8Array(randomBytes(n));
  let counter = 0n;
  let buf = new Uint8Array(0);
  return (n) => {
    while (buf.length < n) {
      const block = createHash("sha256").update(seed).update(String(counter++)).digest();
      buf = Uint8Array.from([...buf, ...block]);
    }
    const out = buf.slice(0, n);
    buf = buf.slice(n);
    return out;
  };
}

export function randomImports(seed?: Uint8Array) {
  const bytes = randomSource(seed);
  return {
    "wasi:random/random": {
      getRandomBytes: (len: bigint) => bytes(Number(len)),
      getRandomU64: () => new DataView(bytes(8).buffer).getBigUint64(0, true),
    },
  };
}
