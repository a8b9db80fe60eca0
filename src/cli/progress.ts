// Progress of long runs on stderr (issue 15): elapsed and estimated remaining time. On a terminal a bar
// (cli-progress) redrawn every second; otherwise (logs, CI, nohup) one line every ~10 s. Remaining time is
// the up-front estimate (src/util/feasibility.ts) minus the elapsed time until the first unit of work
// finishes, then the elapsed time scaled by the fraction of work done.
import cliProgress from "cli-progress";
import { formatSeconds } from "../util/feasibility.js";

/** Seconds between progress lines without a terminal. */
export const LINE_EVERY_SECONDS = 10;

/**
 * Estimated seconds left: from the fraction of the work done once there is one (`work`, else done / total),
 * else from the estimate.
 */
export function remainingSeconds(
  elapsed: number,
  done: number,
  total: number,
  estimate?: number,
  work?: number,
): number | undefined {
  if (total > 0 && done >= total) return 0;
  const f = work ?? (total > 0 ? done / total : 0);
  if (done > 0 && f > 0) return (elapsed * (1 - f)) / f;
  return estimate === undefined ? undefined : Math.max(0, estimate - elapsed);
}

export interface Progress {
  /** done of total units (groups, seeds) finished, and the share of the work they were (if known). */
  update: (done: number, total: number, work?: number) => void;
  /** A new estimate of the remaining work's total (e.g. the next stage of validate). */
  restart: (label: string, estimate?: number, after?: number) => void;
  stop: () => void;
}

/**
 * A progress reporter labelled `label` counting `unit`s; `estimate` is the up-front estimate of the whole
 * run in seconds, `after` the estimated seconds of work that follows it (later stages), added to the
 * remaining time. Silent with `quiet`.
 */
export function startProgress(
  label: string,
  unit: string,
  quiet: boolean,
  estimate?: number,
  after = 0,
): Progress {
  if (quiet) return { update: () => {}, restart: () => {}, stop: () => {} };
  const tty = Boolean(process.stderr.isTTY);
  let state = {
    label,
    estimate,
    after,
    started: performance.now(),
    done: 0,
    total: 0,
    work: undefined as number | undefined,
  };
  let bar: cliProgress.SingleBar | undefined;
  const elapsed = () => (performance.now() - state.started) / 1000;
  const left = () => {
    const r = remainingSeconds(elapsed(), state.done, state.total, state.estimate, state.work);
    return r === undefined ? "?" : `~${formatSeconds(r + state.after)}`;
  };
  const line = () => {
    const of = state.total > 0 ? `${state.done}/${state.total}${unit ? ` ${unit}` : ""}, ` : "";
    process.stderr.write(`${state.label}: ${of}${formatSeconds(elapsed())} elapsed, ${left()} remaining\n`);
  };
  const tick = () => {
    if (bar) bar.update(state.done, { left: left(), label: state.label });
    else line();
  };
  const timer = setInterval(tick, tty ? 1000 : LINE_EVERY_SECONDS * 1000);
  timer.unref();
  const stopBar = () => {
    bar?.stop();
    bar = undefined;
  };
  return {
    update: (done, total, work) => {
      state.done = done;
      state.total = total;
      state.work = work;
      if (tty && !bar) {
        bar = new cliProgress.SingleBar(
          {
            format: `{label} [{bar}] {value}/{total} ${unit} | {duration_formatted} elapsed | {left} remaining`,
            stream: process.stderr,
          },
          cliProgress.Presets.shades_classic,
        );
        bar.start(total, done, { left: left(), label: state.label });
      }
      bar?.setTotal(total);
      bar?.update(done, { left: left(), label: state.label });
    },
    restart: (label, est, aft = 0) => {
      stopBar();
      state = {
        label,
        estimate: est,
        after: aft,
        started: performance.now(),
        done: 0,
        total: 0,
        work: undefined,
      };
    },
    stop: () => {
      clearInterval(timer);
      stopBar();
    },
  };
}
