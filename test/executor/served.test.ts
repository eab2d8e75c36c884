// Reports of calls served on an executor's own socket: one per full batch or short while, never over the host's bounds.
import { describe, expect, it } from "vitest";
import { ServedLog } from "../../executor/direct/served.ts";
import { MAX_REPORTED_CALLS, MAX_REPORTED_LOG_LINES, type ServedReport } from "../../executor/protocol.ts";

const collect = () => {
  const reports: ServedReport[] = [];
  return { reports, log: new ServedLog((report, written) => (reports.push(report), written?.())) };
};

describe("ServedLog", () => {
  it("sends a report as soon as it holds as many calls as one may carry", () => {
    const { reports, log } = collect();
    for (let i = 0; i < MAX_REPORTED_CALLS + 1; i++) log.add({ fn: "score", status: 200, ms: 1 });
    expect(reports.map((r) => r.calls.length)).toEqual([MAX_REPORTED_CALLS]);
    log.flush();
    expect(reports.map((r) => r.calls.length)).toEqual([MAX_REPORTED_CALLS, 1]);
  });

  it("sends what it holds a short while after a call", async () => {
    const { reports, log } = collect();
    log.add({ fn: "score", status: 503, ms: 2, code: "overloaded" });
    log.log(["stdout: hello"]);
    expect(reports).toEqual([]);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(reports).toEqual([{ type: "served", calls: [{ fn: "score", status: 503, ms: 2, code: "overloaded" }], logs: ["stdout: hello"] }]);
  });

  it("keeps a report's log lines within the bound, the last one saying how many were dropped", () => {
    const { reports, log } = collect();
    for (let i = 0; i < 30; i++) log.log(Array.from({ length: 100 }, (_, j) => `line ${i}.${j}`));
    log.flush();
    expect(reports[0]!.logs).toHaveLength(MAX_REPORTED_LOG_LINES);
    expect(reports[0]!.logs.at(-1)).toBe(`… ${3000 - (MAX_REPORTED_LOG_LINES - 1)} more log lines dropped (at most ${MAX_REPORTED_LOG_LINES} a report)`);
  });

  it("calls back at once when there is nothing to send, and after the last report otherwise", () => {
    const { reports, log } = collect();
    let written = 0;
    log.flush(() => written++);
    log.add({ fn: "", status: 404, ms: 0, code: "unknown_function" });
    log.flush(() => written++);
    expect([written, reports.length]).toEqual([2, 1]);
  });
});
