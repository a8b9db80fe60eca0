// The Gaussian moments of the online (delta -> infinity) overlap equations for any k >= 1, kT >= 1:
// E[w l^T] (k x k), E[l w*^T] (k x kT) and E[l l^T] (k x k) over (w, w*) ~ N(0, [[Q, M], [M^T, rho* I]]),
// y = label(w*, eps), l = grad_r L(w; y); and the projection G^T Sigma^+ G of the discrete map.
// Scalar models (k = kT = 1) use the jump-aware pair rule of gaussian.ts (one pass for the three moments),
// split at the kinks and steps of l (non-smooth models, VectorFns.kinks);
// vector models the randomised-QMC rule of src/observables/vector.ts (same points at every call, so the
// right-hand side is a smooth deterministic function of (Q, M)).
import { expectFreshPairMany, type PairFn } from "../../observables/gaussian.js";
import { symmetricEigen } from "../../observables/qmc.js";
import { expectFreshVector, scalarLabelOf } from "../../observables/vector-rule.js";
import type { VectorFns } from "../../types.js";

export interface OnlineMoments {
  /** E[w_a l_b], row-major k x k. */
  wl: Float64Array;
  /** E[l_a w*_c], row-major k x kT. */
  lws: Float64Array;
  /** E[l_a l_b], row-major k x k (zeros when not requested). */
  ll: Float64Array;
}

/** The moments at (Q, M); `withLL` false skips E[l l^T] (tau = 0). NaN entries for invalid (Q, M). */
export function onlineMoments(
  vec: VectorFns,
  Q: Float64Array,
  M: Float64Array,
  rhoStar: number,
  withLL: boolean,
): OnlineMoments {
  const { k, kTeacher: kT } = vec;
  const out = { wl: new Float64Array(k * k), lws: new Float64Array(k * kT), ll: new Float64Array(k * k) };
  const l = new Float64Array(k);
  if (k === 1 && kT === 1) {
    const r = new Float64Array(1);
    const lOf = (g: number, y: number) => {
      r[0] = g;
      vec.grad(r, 0, y, l, 0);
      return l[0];
    };
    const fs: PairFn[] = [(g, y) => g * lOf(g, y), (g, y, gs) => gs * lOf(g, y)];
    if (withLL) fs.push((g, y) => lOf(g, y) ** 2);
    const [wl, lws, ll] = expectFreshPairMany(scalarLabelOf(vec), Q[0], M[0], rhoStar, fs, vec.kinks);
    out.wl[0] = wl;
    out.lws[0] = lws;
    out.ll[0] = withLL ? ll : 0;
    return out;
  }
  const ok = expectFreshVector(vec, Q, M, rhoStar, (g, gs, go, y, w) => {
    vec.grad(g, 0, y, l, 0);
    for (let a = 0; a < k; a++) {
      const la = w * l[a];
      for (let b = 0; b < k; b++) out.wl[b * k + a] += la * g[b];
      for (let c = 0; c < kT; c++) out.lws[a * kT + c] += la * gs[go + c];
      if (withLL) for (let b = 0; b < k; b++) out.ll[a * k + b] += la * l[b];
    }
  });
  if (!ok) for (const v of [out.wl, out.lws, out.ll]) v.fill(Number.NaN);
  return out;
}

/** g^T Sigma^+ g for Sigma = [[q, m], [m, rs]] (pseudo-inverse via the principal axis when singular). */
function projected2(q: number, m: number, rs: number, g1: number, g2: number): number {
  const tr = q + rs;
  if (!(tr > 0)) return 0;
  const det = q * rs - m * m;
  if (det > 1e-10 * tr * tr) return (rs * g1 * g1 - 2 * m * g1 * g2 + q * g2 * g2) / det;
  const [u1, u2] = q >= rs ? [q, m] : [m, rs];
  const nu = Math.hypot(u1, u2);
  return nu > 0 ? ((u1 * g1 + u2 * g2) / nu) ** 2 / tr : 0;
}

/**
 * P = G^T Sigma^+ G (k x k) with Sigma = Cov(w, w*) = [[Q, M], [M^T, rho* I]] and G = E[(w, w*) l^T]
 * ((k + kT) x k). Eigenvalues below 1e-10 times the largest are dropped (k = kT = 1: the 2 x 2 formula).
 */
export function projectedMoments(
  Q: Float64Array,
  M: Float64Array,
  rhoStar: number,
  mom: OnlineMoments,
  k: number,
  kT: number,
): Float64Array {
  if (k === 1 && kT === 1) return Float64Array.of(projected2(Q[0], M[0], rhoStar, mom.wl[0], mom.lws[0]));
  const n = k + kT;
  const sigma = new Float64Array(n * n);
  const G = new Float64Array(n * k);
  for (let a = 0; a < k; a++) {
    for (let b = 0; b < k; b++) {
      sigma[a * n + b] = 0.5 * (Q[a * k + b] + Q[b * k + a]);
      G[a * k + b] = mom.wl[a * k + b];
    }
    for (let c = 0; c < kT; c++) {
      sigma[a * n + k + c] = sigma[(k + c) * n + a] = M[a * kT + c];
      G[(k + c) * k + a] = mom.lws[a * kT + c];
    }
  }
  for (let c = 0; c < kT; c++) sigma[(k + c) * n + k + c] = rhoStar;
  const { values, vectors } = symmetricEigen(sigma, n);
  const top = Math.max(...values);
  const P = new Float64Array(k * k);
  for (let e = 0; e < n; e++) {
    if (!(values[e] > 1e-10 * top)) continue;
    const proj = new Float64Array(k);
    for (let a = 0; a < k; a++) for (let i = 0; i < n; i++) proj[a] += vectors[i * n + e] * G[i * k + a];
    for (let a = 0; a < k; a++) for (let b = 0; b < k; b++) P[a * k + b] += (proj[a] * proj[b]) / values[e];
  }
  return P;
}
