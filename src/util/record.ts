// Recording grids for long runs (issue 15): which of the steps 0..N a solver or simulator writes out.
// Every K-th step (always including 0 and N), or log-spaced steps (dense early, sparse late).
import { UsageError } from "./errors.js";

/** `K` = every K-th step (1 = every step); "log" = log-spaced steps. */
export type RecordSpec = number | "log";

/** Log-spaced grid density: steps per decade of k (after the first LOG_DENSE steps, which are all kept). */
export const LOG_PER_DECADE = 40;
const LOG_DENSE = 10;

/** The recorded steps in increasing order, first 0, last N. */
export function recordSteps(N: number, spec: RecordSpec = 1): number[] {
  if (!Number.isInteger(N) || N < 0) throw new Error(`recordSteps: N must be a whole number, got ${N}`);
  if (spec === "log") {
    const out = new Set<number>();
    for (let k = 0; k <= Math.min(N, LOG_DENSE); k++) out.add(k);
    if (N > LOG_DENSE) {
      const lo = Math.log10(LOG_DENSE);
      const hi = Math.log10(N);
      const n = Math.max(1, Math.ceil((hi - lo) * LOG_PER_DECADE));
      for (let i = 1; i <= n; i++) out.add(Math.round(10 ** (lo + ((hi - lo) * i) / n)));
      out.add(N);
    }
    return [...out].sort((a, b) => a - b);
  }
  if (!Number.isInteger(spec) || spec < 1)
    throw new Error(`recordSteps: K must be a whole number >= 1, got ${spec}`);
  const out: number[] = [];
  for (let k = 0; k < N; k += spec) out.push(k);
  out.push(N);
  return out;
}

/** recordSteps for user input: a bad spec is a UsageError naming `who` (solve, simulate). */
export function checkedRecordSteps(who: string, N: number, spec: RecordSpec = 1): number[] {
  if (spec !== "log" && !(Number.isInteger(spec) && spec >= 1)) {
    throw new UsageError(
      `${who}: record must be a whole number K >= 1 (every K-th step) or 'log', got ${spec}`,
    );
  }
  return recordSteps(N, spec);
}

/** meta.record of a Result: what the recorded grid is. */
export function recordMeta(spec: RecordSpec = 1): string {
  if (spec === "log")
    return `log-spaced steps (all of the first ${LOG_DENSE}, then ${LOG_PER_DECADE} per decade, and the last)`;
  return spec === 1 ? "every step" : `every ${spec} steps (and the last)`;
}
