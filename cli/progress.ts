/**
 * Progress of long commands (interpreter builds, layer installs,
 * componentizing): on a terminal, one line that names the current step and
 * its elapsed time, each finished step kept above it; elsewhere (CI, pipes,
 * files) one plain line per step.
 */
export interface ProgressStream {
  isTTY?: boolean;
  write(text: string): unknown;
}

export interface Progress {
  /** The builds' `progress(msg)` callback: a new step begins. */
  (msg: string): void;
  /** Ends the current step (and the display), marked failed when `ok` is false. */
  done(ok?: boolean): void;
  /** Ends the display when `work` settles, marking the step failed if it throws. */
  track<T>(work: Promise<T>): Promise<T>;
}

const FRAMES = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];
const TICK_MS = 100;

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

export function createProgress(stream: ProgressStream = process.stderr, now: () => number = () => performance.now()): Progress {
  if (!stream.isTTY) {
    const plain = ((msg: string) => void stream.write(`  ${msg}\n`)) as Progress;
    plain.done = () => {};
    plain.track = (work) => work;
    return plain;
  }
  let step: { msg: string; since: number } | undefined;
  let frame = 0;
  let timer: NodeJS.Timeout | undefined;
  const draw = () => step && stream.write(`\r\x1b[K${FRAMES[frame++ % FRAMES.length]} ${step.msg} (${seconds(now() - step.since)})`);
  const finish = (ok = true) => {
    if (step) stream.write(`\r\x1b[K${ok ? "✓" : "✗"} ${step.msg} (${seconds(now() - step.since)})\n`);
    step = undefined;
  };
  const progress = ((msg: string) => {
    finish();
    step = { msg, since: now() };
    draw();
    // The display must not keep the process alive.
    timer ??= setInterval(draw, TICK_MS).unref();
  }) as Progress;
  progress.done = (ok = true) => {
    clearInterval(timer);
    timer = undefined;
    finish(ok);
  };
  progress.track = (work) =>
    work.then(
      (value) => (progress.done(), value),
      (error: unknown) => {
        progress.done(false);
        throw error;
      },
    );
  return progress;
}
