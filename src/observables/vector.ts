// Test observables of vector models (k >= 1 or kT >= 1): `vectorTestObservables` = test loss E L(g; y) and,
// for +-1 labels, test error P(sign(predict(g)) != y) over a fresh Gaussian (g, g*) with covariance
// [[Q, M], [M^T, rho* I]] and eps ~ N(0, 1). Scalar models (k = kT = 1) delegate to gaussian.ts (today's
// numbers, ~1e-10); vector models use the quasi-Monte Carlo rule of vector-rule.ts (32768 points). Jumps are
// integrated exactly along one line per point (conditional smoothing, on the first 4096 points): the test
// error along the largest direction of the conditional law (between the roots of predict), or along a teacher
// axis when the label jumps in g* (between the roots of predict and the label's jumps, found separately); the
// test loss of such labels (sign(w*_1 + w*_2 + sigma eps), sigma >= 0) by Gauss–Legendre panels along that
// axis, cut at the label's jumps. Measured (test/observables-vector.test.ts): erf committee test loss <= 7e-5
// absolute (<= 5e-4 relative) for K, K* <= 3 (~10 ms per call); sign teachers: test error within 1e-5 of the
// scalar rule and within 1 SE of brute force, test loss within 1.5e-4 (~100 ms per call: root searches).
import type { VectorFns } from "../types.js";
import { testObservables } from "./gaussian.js";
import { findJumps } from "./pair-rule.js";
import { pointSet, QMC_SHIFTS } from "./qmc.js";
import { gaussLegendre, normalCdf, normalPdf } from "./quadrature.js";
import {
  conditionalLaw,
  expectFreshVector,
  outerRule,
  scalarLabelOf,
  type VectorNodeFn,
  validInputs,
  walk,
  ZMAX,
} from "./vector-rule.js";

type Law = ReturnType<typeof conditionalLaw>;

const LINE_FRACTION = 4;

/** Points used by the line integrals: the first quarter of the first shift (a Sobol' prefix, symmetric). */
function linePoints(k: number, kT: number): number {
  return pointSet(k, kT).perShift / LINE_FRACTION;
}

/** Sets ws = g* and g on the line through point p = (eps, z, u) along teacher axis `axis` at t. */
function teacherLine(vec: VectorFns, law: Law, sr: number, p: Float64Array, axis: number) {
  const { k, kTeacher: kT } = vec;
  const { A, S } = law;
  const ws = new Float64Array(kT);
  const g = new Float64Array(k);
  const at = (t: number) => {
    for (let c = 0; c < kT; c++) ws[c] = sr * (c === axis ? t : p[1 + k + c]);
    for (let a = 0; a < k; a++) {
      let v = 0;
      for (let c = 0; c < kT; c++) v += A[a * kT + c] * ws[c];
      for (let b = 0; b < k; b++) v += S[a * k + b] * p[1 + b];
      g[a] = v;
    }
  };
  const label = (t: number) => {
    at(t);
    return vec.label(ws, 0, p[0]);
  };
  return { ws, g, at, label };
}

/**
 * P(predict(mu + S z) > 0) given the coordinates of z other than c, with z_c ~ N(0, 1) integrated exactly
 * between the sign changes of predict (located on a 0.25 grid in z_c, then bisected).
 */
function positiveGiven(
  vec: VectorFns,
  mu: Float64Array,
  S: Float64Array,
  z: Float64Array,
  c: number,
): number {
  const k = vec.k;
  const g = new Float64Array(k);
  const sgn = (t: number) => {
    for (let a = 0; a < k; a++) {
      let v = mu[a];
      for (let b = 0; b < k; b++) v += S[a * k + b] * (b === c ? t : z[b]);
      g[a] = v;
    }
    return Math.sign(vec.predict(g, 0));
  };
  const cuts = [Number.NEGATIVE_INFINITY, ...findJumps(sgn, -ZMAX, ZMAX, 0.25), Number.POSITIVE_INFINITY];
  let p = 0;
  for (let q = 0; q + 1 < cuts.length; q++) {
    const s = sgn(0.5 * (Math.max(cuts[q], -ZMAX) + Math.min(cuts[q + 1], ZMAX)));
    const mass = normalCdf(cuts[q + 1]) - normalCdf(cuts[q]);
    p += s > 0 ? mass : s === 0 ? 0.5 * mass : 0;
  }
  return p;
}

/**
 * P(sign(predict(g)) != y) given the point p = (eps, z, u) except its teacher coordinate `axis`, which is
 * integrated exactly between the jumps of the indicator (labels that jump in g*, e.g. sign(w*_1 + w*_2 +
 * sigma eps) with small or zero sigma; eps is then the point's quasi-random coordinate).
 */
function errorAlongTeacherAxis(vec: VectorFns, law: Law, sr: number, p: Float64Array, axis: number): number {
  const { g, at, label } = teacherLine(vec, law, sr, p, axis);
  const sign = (t: number) => {
    at(t);
    return Math.sign(vec.predict(g, 0));
  };
  const wrong = (t: number) => {
    const pr = sign(t);
    return pr === 0 ? 0.5 : pr !== label(t) ? 1 : 0;
  };
  // The two jump sets separately: a root of predict next to a label jump is the typical error sliver.
  const jumps = [...findJumps(sign, -ZMAX, ZMAX, 0.25), ...findJumps(label, -ZMAX, ZMAX, 0.25)];
  const cuts = [Number.NEGATIVE_INFINITY, ...jumps.sort((x, y) => x - y), Number.POSITIVE_INFINITY];
  let total = 0;
  for (let q = 0; q + 1 < cuts.length; q++) {
    const mid = 0.5 * (Math.max(cuts[q], -ZMAX) + Math.min(cuts[q + 1], ZMAX));
    total += (normalCdf(cuts[q + 1]) - normalCdf(cuts[q])) * wrong(mid);
  }
  return total;
}

/** E over the teacher coordinate `axis` of L(g; y) at point p: Gauss–Legendre panels cut at the label's jumps. */
function lossAlongTeacherAxis(vec: VectorFns, law: Law, sr: number, p: Float64Array, axis: number): number {
  const { g, label } = teacherLine(vec, law, sr, p, axis);
  const grid = [-ZMAX, -4, -1.5, 0, 1.5, 4, ZMAX];
  const cuts = [...grid, ...findJumps(label, -ZMAX, ZMAX, 0.25)].sort((x, y) => x - y);
  const gl = gaussLegendre(8);
  let total = 0;
  for (let q = 0; q + 1 < cuts.length; q++) {
    const h = 0.5 * (cuts[q + 1] - cuts[q]);
    for (let i = 0; i < gl.x.length && h > 0; i++) {
      const t = 0.5 * (cuts[q] + cuts[q + 1]) + h * gl.x[i];
      const y = label(t);
      total += h * gl.w[i] * normalPdf(t) * vec.loss(g, 0, y);
    }
  }
  return total;
}

/**
 * P(sign(predict(g)) != y) with ties counted 1/2, conditionally smoothed along the largest column of S (along
 * a teacher axis when the label jumps in g*), over the line points.
 */
function vectorTestError(vec: VectorFns, Q: Float64Array, M: Float64Array, rhoStar: number): number {
  const { k, kTeacher: kT } = vec;
  const law = conditionalLaw(Q, M, rhoStar, k, kT);
  const S = law.S;
  let c = 0;
  let best = 0;
  for (let b = 0; b < k; b++) {
    let norm = 0;
    for (let a = 0; a < k; a++) norm += S[a * k + b] ** 2;
    if (norm > best) [best, c] = [norm, b];
  }
  const pts = pointSet(k, kT);
  const dim = pts.dim;
  let total = 0;
  walk(
    vec,
    Q,
    M,
    rhoStar,
    S,
    (i, g, mu, outer) => {
      if (outer.axis >= 0) {
        const p = pts.x.subarray(i * dim, (i + 1) * dim);
        const e = errorAlongTeacherAxis(vec, law, Math.sqrt(rhoStar), p, outer.axis);
        for (let j = outer.start[i]; j < outer.start[i + 1]; j++)
          total += LINE_FRACTION * QMC_SHIFTS * outer.w[j] * e;
        return;
      }
      let pPos: number;
      if (best === 0) {
        const p = vec.predict(g, 0);
        pPos = p > 0 ? 1 : p === 0 ? 0.5 : 0;
      } else pPos = positiveGiven(vec, mu, S, pts.x.subarray(i * dim + 1, i * dim + 1 + k), c);
      for (let j = outer.start[i]; j < outer.start[i + 1]; j++) {
        total += LINE_FRACTION * QMC_SHIFTS * outer.w[j] * (outer.y[j] > 0 ? 1 - pPos : pPos);
      }
    },
    linePoints(k, kT),
  );
  return total;
}

/**
 * Test loss E L(g; y) and, for +-1 labels, test error P(sign(predict(g)) != y) at the overlaps Q (k x k) and
 * M (k x kT), row-major. NaN for non-finite inputs or a negative diagonal of Q. `coarse` (k = 1 only): the
 * cheaper inner rule of expectFreshPairMany, for the Monte-Carlo solver (solvers/mc/combine.ts).
 */
export function vectorTestObservables(
  vec: VectorFns,
  Q: Float64Array,
  M: Float64Array,
  rhoStar: number,
  binary: boolean,
  coarse = false,
): { test_loss: number; test_error?: number } {
  if (vec.k === 1 && vec.kTeacher === 1) {
    const r = new Float64Array(1);
    const loss = (g: number, y: number) => {
      r[0] = g;
      return vec.loss(r, 0, y);
    };
    return testObservables(
      { loss, label: scalarLabelOf(vec), kinks: vec.kinks },
      binary,
      Q[0],
      M[0],
      rhoStar,
      coarse,
    );
  }
  if (!validInputs(vec, Q, M)) {
    return binary ? { test_loss: Number.NaN, test_error: Number.NaN } : { test_loss: Number.NaN };
  }
  let test_loss = 0;
  const outer = outerRule(vec, rhoStar);
  if (outer.axis >= 0) {
    const law = conditionalLaw(Q, M, rhoStar, vec.k, vec.kTeacher);
    const pts = pointSet(vec.k, vec.kTeacher);
    const n = linePoints(vec.k, vec.kTeacher);
    walk(
      vec,
      Q,
      M,
      rhoStar,
      law.S,
      (i) => {
        const p = pts.x.subarray(i * pts.dim, (i + 1) * pts.dim);
        test_loss += lossAlongTeacherAxis(vec, law, Math.sqrt(rhoStar), p, outer.axis) / n;
      },
      n,
    );
  } else {
    const add: VectorNodeFn = (g, _gs, _go, y, w) => {
      test_loss += w * vec.loss(g, 0, y);
    };
    expectFreshVector(vec, Q, M, rhoStar, add);
  }
  return binary ? { test_loss, test_error: vectorTestError(vec, Q, M, rhoStar) } : { test_loss };
}

/**
 * vectorTestObservables along a curve of overlaps, for every k (k = 1: Q and M hold q and m): Q holds the
 * k x k matrices and M the k x kT ones of the recorded points one after another (row-major). `atStep(i)`
 * writes point i's scheduled parameters into the slots of vec first. Used by the exact solvers and the
 * simulator (simulate/seed.ts); the Monte-Carlo solver evaluates its points itself (solvers/mc/combine.ts).
 */
export function testObservablesSeries(
  vec: VectorFns,
  binary: boolean,
  Q: Float64Array,
  M: Float64Array,
  rhoStar: number,
  atStep?: (i: number) => void,
): { test_loss: number[]; test_error?: number[] } {
  const [UU, UV] = [vec.k * vec.k, vec.k * vec.kTeacher];
  const test_loss: number[] = [];
  const test_error: number[] = [];
  for (let i = 0; i < Q.length / UU; i++) {
    atStep?.(i);
    const Qi = Q.subarray(i * UU, (i + 1) * UU);
    const o = vectorTestObservables(vec, Qi, M.subarray(i * UV, (i + 1) * UV), rhoStar, binary);
    test_loss.push(o.test_loss);
    test_error.push(o.test_error ?? Number.NaN);
  }
  return binary ? { test_loss, test_error } : { test_loss };
}
