// The per-sample loops of one step of a group solve (group.ts), as small functions over one state object
// per group. Kept out of solveGroup on purpose: V8 optimises a small function after a few calls and reuses
// that code for every later group and solve, whereas a loop inside the long solveGroup is optimised only by
// on-stack replacement, again for every call (measured: ~0.5 s of JIT warm-up in a cold single-thread
// solve, most of it in these loops).
import type { CompiledFns, VectorFns } from "../../types.js";
import type { BatchWeights } from "../../util/batch.js";
import type { Rng } from "../../util/rng.js";

/**
 * What the per-sample loops read and write. Histories Th, A, Lh are column-major (column s U + a holds step
 * s, unit a for all M samples); Cc is sample-major (stride N1 U^2, what the tangent kernels read).
 */
export interface SampleState {
  M: number;
  U: number;
  V: number;
  N1: number;
  fns: CompiledFns;
  vec: VectorFns;
  /** Parameter side: theta history, teacher theta*, conditional draws nu_k and memory terms (per unit). */
  Th: Float64Array;
  thStar: Float64Array;
  nuOut: Float64Array[];
  memOut: Float64Array[];
  /** Prediction side: draws w_k (per unit), teacher fields w*, labels, gradient l_k, Hessian H_k. */
  wOut: Float64Array[];
  wstar: Float64Array;
  y: Float64Array;
  lk: Float64Array;
  Hk: Float64Array;
  rbuf: Float64Array;
  /** Histories A_s = l_s dxi_s (floats, like the inputs: columns.ts), Cc_s = H_s dxi_s (tangent estimator
   *  only); Lh = l_s (dropCrossTerm only). */
  A: Float32Array;
  Cc: Float64Array | null;
  Lh: Float64Array | null;
  /**
   * dxi_k = eDxi + sdB dB_k (sgf), eDxi (gd), -tau Poisson(rate) (sgd-limit, `jumps`), or eDxi s_k with
   * s_k in {0, 1/b} (sgd-fraction with b < 1, `weights`).
   */
  eDxi: number;
  sdB: number;
  tau: number;
  rate: number;
  jumps: Rng | null;
  weights: BatchWeights | null;
  /** dxi_k per sample (branching estimator only). */
  dxiOut: Float64Array | null;
}

/** wl[a V + c] = sum_i theta_k^a(i) theta*^c(i) (not divided by M). */
export function teacherOverlaps(st: SampleState, k: number, wl: Float64Array): void {
  const { M, U, V, Th, thStar } = st;
  wl.fill(0);
  for (let i = 0; i < M; i++) {
    for (let a = 0; a < U; a++) {
      const ta = Th[(k * U + a) * M + i];
      for (let c = 0; c < V; c++) wl[a * V + c] += ta * thStar[i * V + c];
    }
  }
}

/**
 * Per sample at step k: loss, l_k and H_k at r_k = wOut (fused generated function), wl += l_k w*^T; unless
 * `last`, dxi_k and the histories A_k = l_k dxi_k, Cc_k = H_k dxi_k (dB: the Brownian column dB_k, if any).
 * Returns the loss summed over samples.
 */
export function predictionSamples(
  st: SampleState,
  k: number,
  last: boolean,
  dB: Float32Array | null,
  wl: Float64Array,
): number {
  const { M, U, V, N1, vec, wOut, wstar, y, lk, Hk, rbuf, A, Cc, Lh, eDxi, sdB, jumps, weights } = st;
  const UU = U * U;
  let lossSum = 0;
  for (let i = 0; i < M; i++) {
    for (let a = 0; a < U; a++) rbuf[a] = wOut[a][i];
    lossSum += vec.lossGradHess(rbuf, 0, y[i], lk, i * U, Hk, i * UU);
    for (let a = 0; a < U; a++) {
      const la = lk[i * U + a];
      for (let c = 0; c < V; c++) wl[a * V + c] += la * wstar[i * V + c];
      if (Lh) Lh[(k * U + a) * M + i] = la;
    }
    if (last) continue;
    let dxi = eDxi;
    if (jumps) dxi = -st.tau * jumps.poisson(st.rate);
    else if (weights) dxi *= weights.next(i, k);
    else if (dB) dxi += sdB * dB[i];
    if (st.dxiOut) st.dxiOut[i] = dxi;
    for (let a = 0; a < U; a++) A[(k * U + a) * M + i] = lk[i * U + a] * dxi;
    if (!Cc) continue;
    const co = (i * N1 + k) * UU;
    for (let e = 0; e < UU; e++) Cc[co + e] = Hk[i * UU + e] * dxi;
  }
  return lossSum;
}

/**
 * theta_{k+1} = theta_k - D [h(theta_k) + mem + Gamma_k theta*] + nu_k per sample and unit (mem and nu from
 * memOut / nuOut; `gamma` = Gamma_k, U x V). Returns [min, max] of h'(theta_k) in `range`.
 */
export function thetaStep(
  st: SampleState,
  k: number,
  D: number,
  gamma: Float64Array,
  range: Float64Array,
): void {
  const { M, U, V, Th, thStar, nuOut, memOut, fns } = st;
  let dhMin = Number.POSITIVE_INFINITY;
  let dhMax = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < M; i++) {
    for (let a = 0; a < U; a++) {
      const ta = Th[(k * U + a) * M + i];
      let gam = 0;
      for (let c = 0; c < V; c++) gam += gamma[a * V + c] * thStar[i * V + c];
      Th[((k + 1) * U + a) * M + i] = ta - D * (fns.h(ta) + memOut[a][i] + gam) + nuOut[a][i];
      const dh = fns.dh(ta);
      if (dh < dhMin) dhMin = dh;
      if (dh > dhMax) dhMax = dh;
    }
  }
  range[0] = dhMin;
  range[1] = dhMax;
}
