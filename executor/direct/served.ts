/**
 * What the executor's own socket served, told to the host in reports (for its
 * metrics, status page and logs): sent when one fills, and at most a short
 * while after a call, so one channel write carries many calls.
 */
import { MAX_REPORTED_CALLS, MAX_REPORTED_LOG_LINES, type ServedCall, type ServedReport } from "../protocol.ts";

const REPORT_AFTER_MS = 100;

export class ServedLog {
  private calls: ServedCall[] = [];
  private logs: string[] = [];
  private droppedLines = 0;
  private timer?: NodeJS.Timeout;

  constructor(private readonly send: (report: ServedReport, written?: () => void) => void) {}

  add(call: ServedCall): void {
    this.calls.push(call);
    if (this.calls.length >= MAX_REPORTED_CALLS) this.flush();
    else this.timer ??= setTimeout(() => this.flush(), REPORT_AFTER_MS);
  }

  /** A call's guest log lines (already bounded per call); past a report's room they are counted, and the count said. */
  log(lines: string[]): void {
    const room = MAX_REPORTED_LOG_LINES - 1 - this.logs.length;
    this.logs.push(...lines.slice(0, Math.max(0, room)));
    this.droppedLines += Math.max(0, lines.length - room);
  }

  /** Sends what there is now; `written` runs once it is written (at once when there is nothing). */
  flush(written?: () => void): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.calls.length === 0 && this.logs.length === 0) return written?.();
    const logs = this.droppedLines > 0 ? [...this.logs, `… ${this.droppedLines} more log lines dropped (at most ${MAX_REPORTED_LOG_LINES} a report)`] : this.logs;
    this.send({ type: "served", calls: this.calls, logs }, written);
    this.calls = [];
    this.logs = [];
    this.droppedLines = 0;
  }
}
