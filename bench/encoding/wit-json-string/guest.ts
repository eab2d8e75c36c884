import { touch, type Row } from "../row.ts";

export function call(batch: string): string {
  return JSON.stringify((JSON.parse(batch) as Row[]).map(touch));
}
