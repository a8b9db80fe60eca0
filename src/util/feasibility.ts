// Feasibility up front (issue 15): a calibrated multiply-add rate of this machine, stage estimates of time
// and memory, and the refusal (UsageError, exit 2) of a run that would not finish within the limit, before
// any stage starts. Solvers and simulators state their work in multiply-adds of their inner kernels and a
// per-kernel speed relative to the calibration loop (measured in bench/ on one machine, so estimates are
// good to a factor of ~2, enough to refuse hours-long runs rather than to predict seconds).
import { UsageError } from "./errors.js";

/** Default limit of `solve` and `validate` (override with --max-minutes). */
export const DEFAULT_MAX_MINUTES = 120;

/** One stage of a run: its estimated wall time and peak memory, and what it is (for the message). */
export interface StageEstimate {
  label: string;
  seconds: number;
  bytes: number;
  /** e.g. "1000 steps x 20000 samples, 3.3e12 multiply-adds". */
  detail: string;
}

let rate: number | undefined;

/**
 * Multiply-adds per second of one thread on a plain JavaScript dot product (best of a few ~10 ms runs,
 * measured once per process; ~20 ms in all).
 */
export function calibratedRate(): number {
  if (rate !== undefined) return rate;
  const n = 4096;
  const a = new Float64Array(n).fill(0.5);
  const b = new Float64Array(n).fill(0.25);
  let best = Number.POSITIVE_INFINITY;
  let sink = 0;
  const reps = 400;
  for (let r = 0; r < 5; r++) {
    const t0 = performance.now();
    for (let k = 0; k < reps; k++) {
      let s0 = 0;
      let s1 = 0;
      for (let i = 0; i < n; i += 2) {
        s0 += a[i] * b[i];
        s1 += a[i + 1] * b[i + 1];
      }
      sink += s0 + s1;
    }
    best = Math.min(best, performance.now() - t0);
  }
  if (sink === 42) rate = 0; // keeps the loop from being optimised away (never true)
  rate = (reps * n) / (Math.max(best, 1e-3) / 1000);
  return rate;
}

/** "45 s", "12 min", "3.2 h". */
export function formatSeconds(s: number): string {
  if (s < 90) return `${s.toPrecision(2)} s`;
  if (s < 5400) return `${(s / 60).toPrecision(2)} min`;
  return `${(s / 3600).toPrecision(2)} h`;
}

/** "1.2 GiB", "350 MiB". */
export function formatBytes(b: number): string {
  return b >= 2 ** 30 ? `${(b / 2 ** 30).toPrecision(2)} GiB` : `${(b / 2 ** 20).toPrecision(2)} MiB`;
}

/** One line per stage and the total, for the start-of-run summary and the refusal. */
export function describeStages(stages: StageEstimate[]): string {
  const total = stages.reduce((a, s) => a + s.seconds, 0);
  const peak = stages.reduce((a, s) => Math.max(a, s.bytes), 0);
  const lines = stages.map(
    (s) => `  ${s.label}: ~${formatSeconds(s.seconds)}, ~${formatBytes(s.bytes)} (${s.detail})`,
  );
  return [...lines, `  total: ~${formatSeconds(total)}, peak ~${formatBytes(peak)}`].join("\n");
}

/** Refuses (UsageError) a run whose estimated total exceeds maxMinutes, naming the stages and the remedies. */
export function checkFeasible(
  who: string,
  stages: StageEstimate[],
  maxMinutes = DEFAULT_MAX_MINUTES,
  hint = "",
): void {
  if (!(maxMinutes > 0)) throw new UsageError(`${who}: --max-minutes must be positive, got ${maxMinutes}`);
  const total = stages.reduce((a, s) => a + s.seconds, 0);
  if (total <= 60 * maxMinutes) return;
  throw new UsageError(
    `${who}: estimated ~${formatSeconds(total)}, more than the limit of ${maxMinutes} min:\n${describeStages(stages)}\n` +
      `Lower --T, --samples or the simulation size${hint}, or raise --max-minutes if you mean it.`,
  );
}
