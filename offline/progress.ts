/**
 * How far a run is, on stderr: on a terminal one line redrawn a few times a
 * second (rows, rows/s, ETA, failed rows); otherwise a plain line every
 * `everyMs`, for logs.
 */
export interface ProgressSource {
  rows(): number;
  failed(): number;
  /** How far the input has been read: bytes or rows of the file. */
  position(): { done: number; total: number };
}

export interface Progress {
  stop(): void;
}

const count = (n: number) => Math.round(n).toLocaleString("en-US");

function duration(seconds: number): string {
  if (!Number.isFinite(seconds)) return "?";
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  return h ? `${h}h${String(m).padStart(2, "0")}m` : m ? `${m}m${String(s % 60).padStart(2, "0")}s` : `${s}s`;
}

export function showProgress(source: ProgressSource, stream: NodeJS.WriteStream, everyMs: number): Progress {
  const tty = stream.isTTY === true;
  const started = performance.now();
  const startRows = source.rows();
  const first = source.position();
  const startFraction = first.total ? first.done / first.total : 0;

  const line = () => {
    const elapsed = (performance.now() - started) / 1000;
    const { done, total } = source.position();
    const fraction = total ? done / total : 1;
    const rate = (source.rows() - startRows) / Math.max(elapsed, 1e-3);
    const eta = fraction > startFraction ? (elapsed * (1 - fraction)) / (fraction - startFraction) : Infinity;
    const failed = source.failed();
    return `${count(source.rows())} rows  ${count(rate)} rows/s  ${Math.floor(fraction * 100)}% read  ETA ${duration(eta)}  ${count(failed)} failed`;
  };
  const timer = setInterval(() => stream.write(tty ? `\r\x1b[2K  ${line()}` : `vial run: ${line()}\n`), tty ? 250 : everyMs);
  timer.unref();
  return {
    stop() {
      clearInterval(timer);
      if (tty) stream.write("\r\x1b[2K");
    },
  };
}
