/** The threads of process `pid` (their ids, from /proc): none once it has ended, or where there is no /proc. */
import { readdirSync } from "node:fs";

export function threadIds(pid: number): string[] {
  try {
    return readdirSync(`/proc/${pid}/task`);
  } catch {
    return [];
  }
}
