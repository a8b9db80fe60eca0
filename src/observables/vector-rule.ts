// The quadrature rule for Gaussian expectations of vector models (k >= 1 student units, kT >= 1 teacher
// units): E over a fresh (g in R^k, g* in R^kT) ~ N(0, [[Q, M], [M^T, rho* I]]) and eps ~ N(0, 1),
// y = label(g*, eps). Randomised quasi-Monte Carlo (qmc.ts: Sobol' points, 2 fixed-seed digital shifts of
// 16384 points, moment-matched and, for k! kT! <= 4, closed under relabelling units), the same points at every
// call (deterministic, smooth in Q, M): g* = sqrt(rho*) u, g = A g* + S z with A = M / rho* and S the
// symmetric square root of C = Q - M M^T / rho* (finite-d rounding may make C slightly indefinite: negative
// eigenvalues are clamped to 0); with the symmetric point set, overlaps symmetric under relabelling units give
// exactly symmetric results. Each shift is an unbiased estimate (the node callback gets the shift index).
// Labels that jump in eps (sign(f + sigma eps)) have eps integrated at each point by the jump-aware 1-D rule
// of pair-rule.ts (exact in eps, smooth in g*); other labels take eps as one more quasi-random coordinate.
// A product Gauss–Hermite rule was measured and rejected: for erf units at Q_aa ~ 1-3 it needs > 30 nodes per
// dimension in 5 dimensions.
import type { VectorFns } from "../types.js";
import { findJumps, type LabelFn, pairNodes } from "./pair-rule.js";
import { type PointSet, pointSet, symmetricEigen } from "./qmc.js";

export const ZMAX = 8;

/** Called at each node: g (length k), g* = gs[go .. go + kT), y, the weight (sum 1) and the shift index. */
export type VectorNodeFn = (
  g: Float64Array,
  gs: Float64Array,
  go: number,
  y: number,
  w: number,
  shift: number,
) => void;

/** Per point: g* (kT), and its (y, weight) pairs in CSR form (start[i] .. start[i + 1]). */
export interface OuterRule {
  /** Teacher axis along which the label jumps at fixed eps (-1: none). */
  axis: number;
  /** eps is integrated exactly at each point (the label jumps in eps). */
  epsExact: boolean;
  gs: Float64Array;
  start: Int32Array;
  y: Float64Array;
  w: Float64Array;
}

/**
 * Jumps of fn on [-ZMAX, ZMAX] larger than 1e-6 (1 + |fn|): a saturating smooth label (erf at |x| ~ 8) changes
 * by rounding-level steps that bisection would otherwise report as jumps.
 */
function realJumps(fn: (x: number) => number, step: number): number[] {
  return findJumps(fn, -ZMAX, ZMAX, step).filter((x) => {
    const h = 1e-9 * (1 + Math.abs(x));
    return Math.abs(fn(x + h) - fn(x - h)) > 1e-6 * (1 + Math.abs(fn(x)));
  });
}

/**
 * How the label jumps: `axis` is the first teacher axis along which it jumps at eps = 0 (other coordinates
 * 0.13 sd; -1: none); `epsExact` when it jumps in eps (a jump along the axis that moves between eps = 0 and
 * eps = 0.61, or a jump in eps at one of a few probe g*). A noiseless teacher (sign(w*_1 + w*_2)) has an axis
 * and no jump in eps.
 */
function labelJumps(vec: VectorFns, sr: number): { epsExact: boolean; axis: number } {
  const kT = vec.kTeacher;
  const ws = new Float64Array(kT);
  let epsExact = false;
  let axis = -1;
  for (let c = 0; c < kT; c++) {
    const along = (eps: number) =>
      realJumps((t) => {
        ws.fill(0.13 * sr);
        ws[c] = sr * t;
        return vec.label(ws, 0, eps);
      }, 0.05);
    const a = along(0);
    if (a.length === 0) continue;
    if (axis < 0) axis = c;
    const b = along(0.61);
    if (!a.some((x) => b.some((z) => Math.abs(x - z) <= 1e-8 * (1 + Math.abs(x))))) epsExact = true;
  }
  for (const u of [0, 0.37, -1.1, 2.3]) {
    ws.fill(sr * u);
    ws[0] = sr * (u + 0.21);
    if (realJumps((e) => vec.label(ws, 0, e), 0.1).length > 0) epsExact = true;
  }
  return { epsExact, axis };
}

const outerCache = new WeakMap<VectorFns, Map<number, OuterRule>>();

/** The (g*, y) rule for this label and rho*, cached per VectorFns object. */
export function outerRule(vec: VectorFns, rhoStar: number): OuterRule {
  let byRho = outerCache.get(vec);
  if (!byRho) {
    byRho = new Map();
    outerCache.set(vec, byRho);
  }
  const hit = byRho.get(rhoStar);
  if (hit) return hit;
  const { k, kTeacher: kT } = vec;
  const sr = Math.sqrt(rhoStar);
  const { x: pts, dim, count: n } = pointSet(k, kT);
  const { epsExact, axis } = labelJumps(vec, sr);
  const gs = new Float64Array(n * kT);
  const start = new Int32Array(n + 1);
  const y: number[] = [];
  const w: number[] = [];
  for (let i = 0; i < n; i++) {
    const ws = gs.subarray(i * kT, (i + 1) * kT);
    for (let c = 0; c < kT; c++) ws[c] = sr * pts[i * dim + 1 + k + c];
    if (epsExact) {
      // pairNodes with rho* = 0 is the jump-aware rule in eps at this g* (breakpoints at the label jumps).
      const rule = pairNodes((_g, e) => vec.label(ws, 0, e), 0);
      y.push(...rule.y);
      w.push(...rule.w);
    } else {
      y.push(vec.label(ws, 0, pts[i * dim]));
      w.push(1);
    }
    start[i + 1] = y.length;
  }
  const rule = { axis, epsExact, gs, start, y: Float64Array.from(y), w: Float64Array.from(w, (v) => v / n) };
  byRho.set(rhoStar, rule);
  return rule;
}

/** g | g* = A g* + S z: A (k x kT) and S the symmetric PSD square root of C = Q - M M^T / rho*, row-major. */
export function conditionalLaw(Q: Float64Array, M: Float64Array, rhoStar: number, k: number, kT: number) {
  const A = new Float64Array(k * kT);
  const C = new Float64Array(k * k);
  for (let a = 0; a < k; a++) {
    for (let c = 0; c < kT; c++) A[a * kT + c] = rhoStar > 0 ? M[a * kT + c] / rhoStar : 0;
    for (let b = 0; b < k; b++) {
      let v = 0.5 * (Q[a * k + b] + Q[b * k + a]);
      for (let c = 0; c < kT; c++) v -= rhoStar > 0 ? (M[a * kT + c] * M[b * kT + c]) / rhoStar : 0;
      C[a * k + b] = v;
    }
  }
  const { values, vectors } = symmetricEigen(C, k);
  const S = new Float64Array(k * k);
  for (let e = 0; e < k; e++) {
    const f = Math.sqrt(Math.max(values[e], 0));
    if (f === 0) continue;
    for (let a = 0; a < k; a++)
      for (let b = 0; b < k; b++) S[a * k + b] += f * vectors[a * k + e] * vectors[b * k + e];
  }
  return { A, S };
}

export function validInputs(vec: VectorFns, Q: Float64Array, M: Float64Array): boolean {
  const { k, kTeacher: kT } = vec;
  if (Q.length !== k * k || M.length !== k * kT) {
    throw new Error(`internal: Q has ${Q.length} entries, M ${M.length}; expected ${k * k}, ${k * kT}`);
  }
  for (let a = 0; a < k; a++) if (!(Q[a * k + a] >= 0)) return false;
  return Q.every(Number.isFinite) && M.every(Number.isFinite);
}

type Visit = (i: number, g: Float64Array, mu: Float64Array, outer: OuterRule, pts: PointSet) => void;

/** Walks the first n points: g = mu + S z with mu = A g*. */
export function walk(
  vec: VectorFns,
  Q: Float64Array,
  M: Float64Array,
  rhoStar: number,
  S: Float64Array,
  visit: Visit,
  n?: number,
) {
  const { k, kTeacher: kT } = vec;
  const { A } = conditionalLaw(Q, M, rhoStar, k, kT);
  const outer = outerRule(vec, rhoStar);
  const pts = pointSet(k, kT);
  const { x, dim } = pts;
  const mu = new Float64Array(k);
  const g = new Float64Array(k);
  for (let i = 0; i < (n ?? pts.count); i++) {
    for (let a = 0; a < k; a++) {
      let v = 0;
      for (let c = 0; c < kT; c++) v += A[a * kT + c] * outer.gs[i * kT + c];
      mu[a] = v;
      for (let b = 0; b < k; b++) v += S[a * k + b] * x[i * dim + 1 + b];
      g[a] = v;
    }
    visit(i, g, mu, outer, pts);
  }
}

/**
 * Calls fn at every node of the rule for E over (g, g*, eps) (see the header); returns false (no calls) for
 * non-finite inputs or a negative diagonal of Q. Measured error for the erf committee (K = K* = 2): see
 * test/observables-vector.test.ts; the spread over the shift index estimates it.
 */
export function expectFreshVector(
  vec: VectorFns,
  Q: Float64Array,
  M: Float64Array,
  rhoStar: number,
  fn: VectorNodeFn,
): boolean {
  if (!validInputs(vec, Q, M)) return false;
  const { k, kTeacher: kT } = vec;
  const { S } = conditionalLaw(Q, M, rhoStar, k, kT);
  walk(vec, Q, M, rhoStar, S, (i, g, _mu, outer, pts) => {
    const shift = Math.floor(i / pts.perShift);
    for (let j = outer.start[i]; j < outer.start[i + 1]; j++)
      fn(g, outer.gs, i * kT, outer.y[j], outer.w[j], shift);
  });
  return true;
}

const scalarLabels = new WeakMap<VectorFns, LabelFn>();

/** The label as a scalar function of (g*, eps) for kT = 1, one stable object per VectorFns (rule caching). */
export function scalarLabelOf(vec: VectorFns): LabelFn {
  let f = scalarLabels.get(vec);
  if (!f) {
    const buf = new Float64Array(1);
    f = (ws, eps) => {
      buf[0] = ws;
      return vec.label(buf, 0, eps);
    };
    scalarLabels.set(vec, f);
  }
  return f;
}
