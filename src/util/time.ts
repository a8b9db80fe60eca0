// Exact time grids (issue 19): grid times k dt without float noise (0.3, not 0.30000000000000004) in JSON,
// CSV and tables, and horizons that are a whole number of steps (T = 1 with dt = 0.3 is refused rather than
// silently stopping at 0.9).
import type { Result } from "../types.js";
import { UsageError } from "./errors.js";

/** `x` rounded to 12 significant digits: removes the rounding noise of k * dt, keeps every real digit. */
export function exactTime(x: number): number {
  return Number.isFinite(x) && x !== 0 ? Number(x.toPrecision(12)) : x;
}

/** The result with its time axis rounded by exactTime (values untouched). */
export function tidyTimes<R extends Pick<Result, "t">>(r: R): R {
  return { ...r, t: r.t.map(exactTime) };
}

/** Throws a UsageError unless T is a whole number of steps dt (within rounding); `where` names the source. */
export function checkTimeGrid(T: number, dt: number, where: string): void {
  const steps = T / dt;
  const N = Math.round(steps);
  if (N >= 1 && Math.abs(steps - N) <= 1e-9 * N) return;
  const lo = Math.floor(steps);
  const options = [lo, lo + 1]
    .filter((n) => n >= 1)
    .map((n) => exactTime(n * dt))
    .join(" or ");
  throw new UsageError(
    `${where}: T = ${T} is not a whole number of steps dt = ${dt} (T / dt = ${exactTime(steps)}); use T = ${options}`,
  );
}
