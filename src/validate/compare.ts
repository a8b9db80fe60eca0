// Theory-vs-simulation comparison: per observable, the worst deviation over recorded times in units of
// the combined standard error, and the pass/fail rule (documented in docs/report.md and shown in the report).
import { overlapNames } from "../observables/names.js";
import type { ObservableName, Result } from "../types.js";

/** Pass iff at every compared time |theory - sim| <= nSigma * sqrt(se_th^2 + se_sim^2) + relative * |theory|. */
export interface Rule {
  nSigma: number;
  relative: number;
}

/** The project's rule (same as issue 9's solver acceptance test): 4 combined standard errors plus 1%. */
export const DEFAULT_RULE: Rule = { nSigma: 4, relative: 0.01 };

/** Slack for exact equality up to rounding (t = 0 with zero standard errors on both sides). */
const ROUNDING = 1e-12;

export interface ObservableCheck {
  name: ObservableName;
  /** Max over compared times of |theory - sim| / sqrt(se_th^2 + se_sim^2) (0/0 counts as 0). */
  maxZ: number;
  /** Time of maxZ. */
  tMaxZ: number;
  /** Max over times of |theory - sim| / allowed; pass iff <= 1. */
  worst: number;
  /** At the time of `worst`: */
  tWorst: number;
  theory: number;
  sim: number;
  diff: number;
  allowed: number;
  /** Number of compared times. */
  points: number;
  pass: boolean;
  /** Why the check could not be made (non-finite values or standard errors); the check then fails. */
  problem?: string;
}

export interface ComparisonTable {
  id: string;
  title: string;
  /** Does this table decide the verdict (exit status)? */
  gating: boolean;
  theoryLabel: string;
  simLabel: string;
  rule: Rule;
  rows: ObservableCheck[];
  pass: boolean;
}

/** (sim - theory) / sqrt(se_th^2 + se_sim^2); 0 when the two agree to rounding (e.g. t = 0 with zero SEs). */
export function zScore(theory: number, seTheory: number, sim: number, seSim: number): number {
  const diff = sim - theory;
  if (Number.isNaN(diff)) return Number.NaN;
  if (Math.abs(diff) <= ROUNDING * Math.max(1, Math.abs(theory))) return 0;
  const sigma = Math.hypot(seTheory, seSim);
  return sigma > 0 ? diff / sigma : diff > 0 ? Infinity : -Infinity;
}

/** Linear interpolation of `ys` (on grid `ts`, increasing) at `x`; NaN outside [ts[0], ts[last]] (+ slack). */
export function interpolate(ts: number[], ys: number[], x: number): number {
  const n = ts.length;
  const slack = 1e-9 * Math.max(1, Math.abs(ts[n - 1]));
  if (x < ts[0] - slack || x > ts[n - 1] + slack) return Number.NaN;
  if (x <= ts[0]) return ys[0];
  if (x >= ts[n - 1]) return ys[n - 1];
  let lo = 0;
  let hi = n - 1;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (ts[mid] <= x) lo = mid;
    else hi = mid;
  }
  const w = (x - ts[lo]) / (ts[hi] - ts[lo]);
  return ys[lo] * (1 - w) + ys[hi] * w;
}

/** Theory values (and standard errors) at the simulation's times; exact lookup when the grids coincide. */
function theoryAt(theory: Result, name: ObservableName, times: number[]): { v: number[]; se: number[] } {
  const v = theory.observables[name] ?? [];
  const se = theory.stderr[name] ?? v.map(() => 0);
  const same =
    theory.t.length === times.length &&
    times.every((t, k) => Math.abs(t - theory.t[k]) <= 1e-9 * Math.max(1, Math.abs(t)));
  if (same) return { v, se };
  return {
    v: times.map((t) => interpolate(theory.t, v, t)),
    se: times.map((t) => interpolate(theory.t, se, t)),
  };
}

/** Compares one observable of `theory` with `sim` at the simulation's recorded times inside the theory's range. */
export function compareObservable(
  theory: Result,
  sim: Result,
  name: ObservableName,
  rule: Rule = DEFAULT_RULE,
): ObservableCheck {
  const simV = sim.observables[name] ?? [];
  const simSe = sim.stderr[name] ?? [];
  const th = theoryAt(theory, name, sim.t);
  const check: ObservableCheck = {
    name,
    maxZ: 0,
    tMaxZ: Number.NaN,
    worst: 0,
    tWorst: Number.NaN,
    theory: Number.NaN,
    sim: Number.NaN,
    diff: Number.NaN,
    allowed: Number.NaN,
    points: 0,
    pass: true,
  };
  for (let k = 0; k < sim.t.length; k++) {
    const a = th.v[k];
    if (Number.isNaN(a) && Number.isNaN(th.se[k])) continue; // outside the theory's time range
    const b = simV[k];
    const sa = th.se[k];
    const sb = simSe[k];
    if (![a, b, sa, sb].every(Number.isFinite)) {
      check.pass = false;
      check.problem = `non-finite value or standard error at t = ${sim.t[k]}`;
      break;
    }
    check.points++;
    const diff = Math.abs(a - b);
    const sigma = Math.hypot(sa, sb);
    const z = Math.abs(zScore(a, sa, b, sb));
    if (z > check.maxZ || Number.isNaN(check.tMaxZ)) {
      check.maxZ = z;
      check.tMaxZ = sim.t[k];
    }
    const allowed = rule.nSigma * sigma + rule.relative * Math.abs(a) + ROUNDING * Math.max(1, Math.abs(a));
    const ratio = diff / allowed;
    if (ratio > check.worst || Number.isNaN(check.tWorst)) {
      Object.assign(check, { worst: ratio, tWorst: sim.t[k], theory: a, sim: b, diff: b - a, allowed });
    }
  }
  if (check.points === 0 && !check.problem) check.problem = "no common recorded times";
  if (check.problem) check.pass = false;
  else check.pass = check.worst <= 1;
  return check;
}

const LOSSES: ObservableName[] = ["train_loss", "test_loss", "test_error"];

/** Widths (k, kTeacher) read off the matrix-entry names Q_a_b / M_a_c present; (1, 1) when there are none. */
export function widthsOf(names: Iterable<string>): { k: number; kTeacher: number } {
  let k = 1;
  let kTeacher = 1;
  for (const name of names) {
    const hit = /^([QM])_(\d+)_(\d+)$/.exec(name);
    if (!hit) continue;
    k = Math.max(k, Number(hit[2]), hit[1] === "Q" ? Number(hit[3]) : 1);
    if (hit[1] === "M") kTeacher = Math.max(kTeacher, Number(hit[3]));
  }
  return { k, kTeacher };
}

/** The observables of `result` in canonical order: losses, then the overlaps in overlapNames order. */
export function observableOrder(result: Result): ObservableName[] {
  const present = Object.keys(result.observables);
  const { k, kTeacher } = widthsOf(present);
  const names = [...LOSSES, ...overlapNames(k, kTeacher).map((e) => e.name)];
  return names.filter((n) => result.observables[n] !== undefined);
}

/** Observables present in both results, in the canonical order. */
export function commonObservables(a: Result, b: Result): ObservableName[] {
  return observableOrder(a).filter((n) => b.observables[n] !== undefined);
}

export function compareResults(
  spec: { id: string; title: string; gating: boolean; theoryLabel: string; simLabel: string },
  theory: Result,
  sim: Result,
  rule: Rule = DEFAULT_RULE,
): ComparisonTable {
  const rows = commonObservables(theory, sim).map((name) => compareObservable(theory, sim, name, rule));
  return { ...spec, rule, rows, pass: rows.length > 0 && rows.every((r) => r.pass) };
}
