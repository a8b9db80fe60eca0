// Theory-vs-simulation comparison: per observable, the worst deviation over recorded times in units of
// the combined standard error, and the pass/fail rule (documented in docs/report.md and shown in the report).
// The rule controls the false-alarm rate of a whole table: each point's deviation is judged against the
// Student t quantile of its own degrees of freedom (Welch–Satterthwaite from seeds - 1 and groups - 1) at the
// Šidák level for all the table's comparisons, so that a correct theory fails a table with chance <= alpha.
import { overlapNames } from "../observables/names.js";
import type { ObservableName, Result } from "../types.js";
import { exactTime } from "../util/time.js";
import { criticalValue, sidak, welchDof } from "./student.js";

/**
 * Pass iff at every compared time |theory - sim| <= c * sqrt(se_th^2 + se_sim^2) + relative * |theory|, with
 * c the two-sided Student t critical value (Welch–Satterthwaite degrees of freedom) at the Šidák level
 * that keeps the family-wise false-alarm rate over all `m` comparisons of a table at `alpha`; or, when
 * `nSigma` is given, c = nSigma at every point (a fixed rule, for tests and comparisons with the old one).
 */
export interface Rule {
  /** Family-wise false-alarm rate (default ALPHA = 1%). */
  alpha?: number;
  relative: number;
  nSigma?: number;
}

/** The verdict rule: a correct theory fails a table with chance <= 1%; 1% relative allowance for biases. */
export const ALPHA = 0.01;
export const DEFAULT_RULE: Rule = { alpha: ALPHA, relative: 0.01 };

/** A deviation this large relative to the observable's scale going unnoticed means low power (warned). */
export const LOW_POWER = 0.1;

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
  /** The critical value c (in combined SEs) and its degrees of freedom at the time of `worst`. */
  critical: number;
  dof: number;
  /** Number of compared times (both sides finite). */
  points: number;
  /** Power: the median over compared times of the allowance (deviations below it pass unnoticed). */
  detectable: number;
  /** The observable's scale: max |theory| (for matrix entries, over all entries of the same matrix). */
  scale: number;
  /** detectable / scale. */
  resolution: number;
  pass: boolean;
  /** Why (part of) the check could not be made: which side's value or SE was not finite, and when. */
  problem?: string;
  /** Times at which a value or standard error was not finite (not compared; the row then fails). */
  nonFinite?: {
    side: "theory" | "simulation";
    what: "value" | "standard error";
    value: number;
    times: number[];
  }[];
}

export interface ComparisonTable {
  id: string;
  title: string;
  /** Does this table decide the verdict (exit status)? */
  gating: boolean;
  theoryLabel: string;
  simLabel: string;
  rule: Rule;
  /** Number of comparisons (observable x time with a nonzero combined SE) the Šidák level is spread over. */
  comparisons: number;
  /** The per-comparison two-sided level (Šidák); 0 when the rule is a fixed nSigma. */
  level: number;
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
  const inside = (t: number) => !Number.isNaN(interpolate(theory.t, theory.t, t));
  return {
    v: times.map((t) => (inside(t) ? interpolate(theory.t, v, t) : Number.NaN)),
    se: times.map((t) => (inside(t) ? interpolate(theory.t, se, t) : Number.NaN)),
  };
}

/**
 * Degrees of freedom of a result's standard errors: groups - 1 (Monte-Carlo DMFT), seeds - 1 (simulation),
 * Infinity when neither is recorded (exact solvers, whose standard errors are zero).
 */
export function dofOf(r: Result): number {
  const { groups, seeds } = r.meta as { groups?: unknown; seeds?: unknown };
  if (typeof groups === "number" && groups > 1) return groups - 1;
  if (typeof seeds === "number" && seeds > 1) return seeds - 1;
  return Number.POSITIVE_INFINITY;
}

interface Point {
  t: number;
  a: number;
  sa: number;
  b: number;
  sb: number;
}

/** The simulation's times inside the theory's range, with both sides' values (non-finite ones included). */
function pointsOf(theory: Result, sim: Result, name: ObservableName): Point[] {
  const simV = sim.observables[name] ?? [];
  const simSe = sim.stderr[name] ?? [];
  const th = theoryAt(theory, name, sim.t);
  const out: Point[] = [];
  for (let k = 0; k < sim.t.length; k++) {
    if (Number.isNaN(interpolate(theory.t, theory.t, sim.t[k]))) continue; // outside the theory's time range
    out.push({ t: sim.t[k], a: th.v[k], sa: th.se[k], b: simV[k], sb: simSe[k] });
  }
  return out;
}

const finitePoint = (p: Point) => [p.a, p.sa, p.b, p.sb].every(Number.isFinite);

/** Comparisons of one observable that are random (finite, nonzero combined SE): what Šidák counts. */
function randomComparisons(points: Point[]): number {
  return points.filter((p) => finitePoint(p) && Math.hypot(p.sa, p.sb) > 0).length;
}

/** Which side's value or SE is not finite, grouped by (side, what, value), with the times. */
function nonFiniteOf(points: Point[]): NonNullable<ObservableCheck["nonFinite"]> {
  const groups = new Map<string, NonNullable<ObservableCheck["nonFinite"]>[number]>();
  const add = (side: "theory" | "simulation", what: "value" | "standard error", value: number, t: number) => {
    const key = `${side}|${what}|${value}`;
    const g = groups.get(key) ?? { side, what, value, times: [] };
    g.times.push(t);
    groups.set(key, g);
  };
  for (const p of points) {
    if (!Number.isFinite(p.a)) add("theory", "value", p.a, p.t);
    else if (!Number.isFinite(p.sa)) add("theory", "standard error", p.sa, p.t);
    if (!Number.isFinite(p.b)) add("simulation", "value", p.b, p.t);
    else if (!Number.isFinite(p.sb)) add("simulation", "standard error", p.sb, p.t);
  }
  return [...groups.values()];
}

/** "theory value = Infinity at 12 of 41 times (t = 0.3 ... 4)". */
function describeNonFinite(
  name: string,
  nf: NonNullable<ObservableCheck["nonFinite"]>,
  total: number,
): string {
  return nf
    .map((g) => {
      const first = g.times[0];
      const last = g.times[g.times.length - 1];
      const when =
        g.times.length === 1
          ? `t = ${exactTime(first)}`
          : `${g.times.length} of ${total} times, t = ${exactTime(first)} to ${exactTime(last)}`;
      return `${g.side} ${g.what} of ${name} is ${g.value} (${when})`;
    })
    .join("; ");
}

/** One compared time: the deviation in combined SEs, the critical value there, and |diff| / allowance. */
export interface PointCheck {
  t: number;
  theory: number;
  sim: number;
  /** (sim - theory) / combined SE. */
  z: number;
  dof: number;
  critical: number;
  allowed: number;
  /** (sim - theory) / allowed, signed: the rule is |ratio| <= 1. */
  ratio: number;
}

/**
 * The rule applied at every time where both sides are finite. `comparisons` is the size of the family the
 * Šidák level is spread over (default: this observable's own random comparisons; tables pass their total).
 */
export function pointChecks(
  theory: Result,
  sim: Result,
  name: ObservableName,
  rule: Rule = DEFAULT_RULE,
  comparisons?: number,
): PointCheck[] {
  const points = pointsOf(theory, sim, name).filter(finitePoint);
  const m = comparisons ?? randomComparisons(points);
  const level = rule.nSigma === undefined ? sidak(rule.alpha ?? ALPHA, m) : 0;
  const nuTh = dofOf(theory);
  const nuSim = dofOf(sim);
  return points.map(({ t, a, sa, b, sb }) => {
    const sigma = Math.hypot(sa, sb);
    const dof = welchDof(sa, nuTh, sb, nuSim);
    const critical = rule.nSigma ?? (sigma > 0 ? criticalValue(level, dof) : 0);
    const allowed = critical * sigma + rule.relative * Math.abs(a) + ROUNDING * Math.max(1, Math.abs(a));
    return {
      t,
      theory: a,
      sim: b,
      z: zScore(a, sa, b, sb),
      dof,
      critical,
      allowed,
      ratio: (b - a) / allowed,
    };
  });
}

/** Compares one observable of `theory` with `sim` at the simulation's recorded times inside the theory's range. */
export function compareObservable(
  theory: Result,
  sim: Result,
  name: ObservableName,
  rule: Rule = DEFAULT_RULE,
  comparisons?: number,
): ObservableCheck {
  const all = pointsOf(theory, sim, name);
  const checks = pointChecks(theory, sim, name, rule, comparisons);
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
    critical: Number.NaN,
    dof: Number.NaN,
    points: checks.length,
    detectable: Number.NaN,
    scale: Math.max(0, ...checks.map((p) => Math.abs(p.theory))),
    resolution: Number.NaN,
    pass: true,
  };
  const allowances: number[] = [];
  for (const p of checks) {
    const z = Math.abs(p.z);
    if (z > check.maxZ || Number.isNaN(check.tMaxZ)) {
      check.maxZ = z;
      check.tMaxZ = p.t;
    }
    if (p.critical > 0) allowances.push(p.allowed);
    const ratio = Math.abs(p.ratio);
    if (ratio > check.worst || Number.isNaN(check.tWorst)) {
      const { t: tWorst, theory: th, sim: sm, allowed, critical, dof } = p;
      Object.assign(check, {
        worst: ratio,
        tWorst,
        theory: th,
        sim: sm,
        diff: sm - th,
        allowed,
        critical,
        dof,
      });
    }
  }
  allowances.sort((x, y) => x - y);
  if (allowances.length > 0) check.detectable = allowances[Math.floor((allowances.length - 1) / 2)];
  check.resolution = check.detectable / check.scale;
  const nonFinite = nonFiniteOf(all);
  if (nonFinite.length > 0) {
    check.nonFinite = nonFinite;
    check.problem = `not compared: ${describeNonFinite(name, nonFinite, all.length)}`;
  } else if (check.points === 0) check.problem = "no common recorded times";
  check.pass = !check.problem && check.worst <= 1;
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

/** Why a loss is not finite when the overlaps it is computed from are finite: the loss formula overflows. */
function overflowReason(r: ObservableCheck, theory: Result, sim: Result): string {
  const finiteOverlaps = (run: Result, t: number) => {
    const k = run.t.findIndex((x) => Math.abs(x - t) <= 1e-9 * Math.max(1, Math.abs(t)));
    if (k < 0) return false;
    return Object.entries(run.observables).every(
      ([n, v]) => LOSSES.includes(n as ObservableName) || Number.isFinite(v?.[k]),
    );
  };
  const overflow = (r.nonFinite ?? []).every((g) =>
    g.times.every((t) => finiteOverlaps(g.side === "theory" ? theory : sim, t)),
  );
  return overflow
    ? ". The overlaps are finite at those times: the loss formula overflows in floating point (e.g. the log of a probability that underflows); this is not a blow-up of the dynamics and not a disagreement. Rewrite the loss in a numerically stable form"
    : "";
}

export function compareResults(
  spec: { id: string; title: string; gating: boolean; theoryLabel: string; simLabel: string },
  theory: Result,
  sim: Result,
  rule: Rule = DEFAULT_RULE,
): ComparisonTable {
  const names = commonObservables(theory, sim);
  const comparisons = names.reduce((s, n) => s + randomComparisons(pointsOf(theory, sim, n)), 0);
  const rows = names.map((name) => compareObservable(theory, sim, name, rule, comparisons));
  // Matrix entries are judged on their matrix's scale (an off-diagonal entry near 0 is not "low power").
  for (const matrix of ["Q_", "M_"]) {
    const family = rows.filter((r) => r.name.startsWith(matrix));
    const scale = Math.max(0, ...family.map((r) => r.scale));
    for (const r of family) Object.assign(r, { scale, resolution: r.detectable / scale });
  }
  for (const r of rows)
    if (r.nonFinite && LOSSES.includes(r.name)) r.problem += overflowReason(r, theory, sim);
  const level = rule.nSigma === undefined ? sidak(rule.alpha ?? ALPHA, comparisons) : 0;
  return { ...spec, rule, comparisons, level, rows, pass: rows.length > 0 && rows.every((r) => r.pass) };
}
