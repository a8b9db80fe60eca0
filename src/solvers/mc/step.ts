// One time step of a group solve (group.ts), in three module-level functions over the GroupState: the
// parameter-side moments, the prediction side (draws, per-sample loss and histories, the responses by the
// tangent, branching or Stein, Gamma by Stein) and the parameter side (nu_k, theta_{k+1}, R_theta). Blocks are row-major U x U; histories are
// column-major (see samples.ts).
import { type StepSchedule, setSlots } from "../../symbolic/schedule.js";
import { RunError } from "../../util/errors.js";
import { INNOVATION_FLOOR } from "./branch.js";
import { closedMoments, closedParameters } from "./gaussian-params.js";
import type { GroupState } from "./group.js";
import { paramResponseRowBlock, predictionResponseRowBlock } from "./responses-block.js";
import { predictionSamples, teacherOverlaps, thetaStep } from "./samples.js";
import { steinResponseRow } from "./stein.js";
import { colDots, rowDotsBlock } from "./wasm.js";

/** Rows of R_theta per product of the k = 1 recursion (a multiple of the kernels' four-row blocks). */
const ROW_BLOCK = 64;

/** Throws a RunError naming the step, time and quantity if `value` is not finite or exceeds `limit`. */
function guard(k: number, dt: number, what: string, value: number, limit = Number.POSITIVE_INFINITY): void {
  if (!Number.isFinite(value) || Math.abs(value) > limit) {
    throw new RunError(`solver blew up at step ${k} (t = ${+(k * dt).toFixed(10)}): ${what} = ${value}`);
  }
}

/** Columns c..c+n-1 (c = s U + a: step s, unit a) of a column-major history with M samples per column. */
function hist(X: Float64Array, c: number, M: number, n: number): Float64Array {
  return X.subarray(c * M, (c + n) * M);
}

/**
 * One time step k, in three module-level functions (not the body of a loop in solveGroup, nor a closure per
 * group): V8 then optimises each once per thread and reuses the code for every group. A loop in the long
 * solveGroup was recompiled by on-stack replacement several times per thread (~150 ms of TurboFan each,
 * measured with --trace-opt), competing with the solve itself for the two cores.
 */
export function step(s: GroupState, k: number): void {
  if (s.p.schedule) scheduleStep(s, s.p.schedule, k);
  stepMoments(s, k);
  stepPrediction(s, k);
  if (k < s.N) stepParameters(s, k);
}

/** Step k's scheduled values (issue 16): the slots of the model functions, tau and what derives from it
 *  (same formulas as groupState, so a constant schedule gives the constant's bits). */
function scheduleStep(s: GroupState, sc: StepSchedule, k: number): void {
  setSlots(s.slots, sc, k);
  // sgd-fraction keeps the noise level of its batch law (p.tau); a tau schedule does not apply to it.
  const tau = s.p.batch ? s.p.tau : sc.tau[k];
  s.tau = tau;
  s.sdB = Math.sqrt((tau * s.D) / s.delta);
  s.vDxi = s.p.dynamics === "gd" ? 0 : (tau * s.D) / s.delta;
  s.rate = s.jumps ? s.D / (tau * s.delta) : 0;
}

/** Parameter-side moments of step k: C_theta[k, 0..k], m_k, Q_k. */
function stepMoments(s: GroupState, k: number): void {
  if (s.par) sampleMoments(s, k);
  else closedMoments(s, k);
  const { D, Qo, U, UU, limit } = s;
  let trace = 0;
  for (let a = 0; a < U; a++) trace += Qo[k * UU + a * U + a];
  guard(
    k,
    D,
    U === 1 ? "q (parameter-side second moment)" : "tr Q (parameter-side second moment)",
    trace,
    limit,
  );
}

/** stepMoments over the parameter-side samples. */
function sampleMoments(s: GroupState, k: number): void {
  const { C, M, Mo, N1, Qo, Th, U, UU, UV, acc, accA, wl } = s;
  teacherOverlaps(s, k, wl);
  // accA[a W + c] = theta_k^a . theta_c for all history columns c < W = (k + 1) U, all units in one pass.
  const W = (k + 1) * U;
  accA.fill(0, 0, U * W);
  rowDotsBlock(Th, W, M, M, U, hist(Th, k * U, M, U), M, accA, W);
  for (let a = 0; a < U; a++)
    for (let s = 0; s <= k; s++)
      for (let b = 0; b < U; b++) acc[s * UU + a * U + b] = accA[a * W + s * U + b];
  for (let s = 0; s <= k; s++) {
    for (let a = 0; a < U; a++) {
      for (let b = 0; b < U; b++) {
        const v = acc[s * UU + a * U + b] / M;
        C[(k * N1 + s) * UU + a * U + b] = v;
        C[(s * N1 + k) * UU + b * U + a] = v;
      }
    }
  }
  for (let e = 0; e < UV; e++) Mo[k * UV + e] = wl[e] / M;
  for (let e = 0; e < UU; e++) Qo[k * UU + e] = C[(k * N1 + k) * UU + e];
}

/** Prediction side of step k: w_k, r_k, loss, l_k, H_k, the histories, rho[k, .] and Gamma_k. */
function stepPrediction(s: GroupState, k: number): void {
  const {
    A,
    C,
    Cc,
    D,
    Gamma,
    GssInv,
    Hk,
    Lw,
    M,
    Mo,
    N,
    N1,
    P,
    R,
    Rt,
    U,
    UU,
    UV,
    V,
    acc,
    coef,
    cov,
    noise,
    pred,
    rho,
    rhoT,
    rows,
    steinScratch,
    train_loss,
    varCols,
    wCoef,
    wOut,
    wl,
  } = s;
  // w_k conditionally on (w*, w_0..w_{k-1}) one unit at a time, from the prediction-side columns taken so
  // far (this step takes w_k, then dB_k); then r_k = w_k + sum_s R[k,s] A_s.
  // (The closed-form parameter side may have copied them from B already, gaussian-params.ts.)
  for (let a = 0; a < U && Lw.n < V + (k + 1) * U; a++) {
    let n = 0;
    for (let c = 0; c < V; c++) cov[n++] = Mo[k * UV + a * V + c];
    for (let s = 0; s < k; s++) for (let b = 0; b < U; b++) cov[n++] = C[(k * N1 + s) * UU + a * U + b];
    for (let b = 0; b <= a; b++) cov[n++] = C[(k * N1 + k) * UU + a * U + b];
    rows[a] = Lw.addRow(cov.subarray(0, n));
  }
  const wCol0 = pred.n;
  const nNew = U + (noise && k < N ? 1 : 0);
  for (let a = 0; a < U; a++) varCols.push(wCol0 + a);
  for (let a = 0; a < U; a++) {
    wCoef[a].fill(0, 0, wCol0 + nNew);
    for (let j = 0; j < rows[a].length; j++) wCoef[a][varCols[j]] = rows[a][j];
  }
  // Branching (k = 1): w_k's innovation standard deviation, floored (branch.ts).
  const sigma = s.branches ? Math.max(rows[0][rows[0].length - 1], INNOVATION_FLOOR) : 0;
  if (s.branches) wCoef[0][wCol0] = sigma;
  pred.appendBlock(nNew, wCoef, wOut);
  const dB = noise && k < N ? pred.column(wCol0 + U) : null;
  const Rk = k * N1 * UU;
  wl.fill(0);
  const Mh = s.Mh;
  for (let a = 0; a < U; a++) {
    if (Mh) {
      // The memory term from its own recursion (memoryNext, at the previous step).
      const w = wOut[a];
      const m = Mh.subarray((k * U + a) * M, (k * U + a + 1) * M);
      for (let i = 0; i < M; i++) w[i] += m[i];
      continue;
    }
    for (let s = 0; s < k; s++) for (let b = 0; b < U; b++) coef[s * U + b] = R[Rk + s * UU + a * U + b];
    if (k > 0) colDots(A, k * U, M, M, coef, wOut[a]);
  }
  // Per sample: loss, l_k, H_k; then dxi_k (one scalar per sample) and the histories A_k = l_k dxi_k,
  // Cc_k = H_k dxi_k.
  const lossSum = predictionSamples(s, k, k === N, dB, wl);
  train_loss[k] = lossSum / M;
  guard(k, D, "train loss", train_loss[k]);
  for (let e = 0; e < UV; e++) guard(k, D, "E[w* l]", wl[e]);

  if (steinScratch) {
    // rho[k, 0..k] and Gamma_k together, by Stein's identity (stein.ts).
    const gam = Gamma.subarray(k * UV, (k + 1) * UV);
    steinResponseRow(U, V, k, M, s.lk, pred, Lw, varCols, steinScratch, acc, gam);
    for (let e = 0; e < UV; e++) guard(k, D, "Gamma", gam[e]);
    for (let t = 0; t <= k; t++) for (let e = 0; e < UU; e++) rho[Rk + t * UU + e] = acc[t * UU + e];
    if (rhoT.length > 0)
      for (let t = 0; t <= k; t++) for (let e = 0; e < UU; e++) rhoT[(t * N1 + k) * UU + e] = acc[t * UU + e];
    return;
  }
  // rho[k, 0..k] by the exact discrete tangent (plus the branches where l jumps); Gamma_k by Stein's identity.
  if (s.branches) branchRow(s, k, sigma, pred.column(wCol0));
  else predictionResponseRowBlock(U, { k, M, N1, Cc: Cc!, dl: Hk, Rt, P, out: acc });
  for (let s = 0; s <= k; s++) for (let e = 0; e < UU; e++) rho[Rk + s * UU + e] = acc[s * UU + e] / M;
  if (rhoT.length > 0)
    for (let s = 0; s <= k; s++)
      for (let e = 0; e < UU; e++) rhoT[(s * N1 + k) * UU + e] = rho[Rk + s * UU + e];
  // Stein: E[l_k w*^T] = Gamma_k Gss + sum_s rho[k,s] m_s.
  for (let a = 0; a < U; a++) {
    for (let c = 0; c < V; c++) {
      let v = wl[a * V + c] / M;
      for (let s = 0; s <= k; s++)
        for (let b = 0; b < U; b++) v -= rho[Rk + s * UU + a * U + b] * Mo[s * UV + b * V + c];
      cov[c] = v;
    }
    for (let c = 0; c < V; c++) {
      let v = 0;
      for (let e = 0; e < V; e++) v += cov[e] * GssInv[e * V + c];
      Gamma[k * UV + a * V + c] = v;
      guard(k, D, "Gamma", v);
    }
  }
}

/** acc[0..k] = sum over samples of the branching estimator's rho[k, .] (k = 1 models, branch.ts). */
function branchRow(s: GroupState, k: number, sigma: number, z: Float32Array): void {
  const { M, N, N1, V, Lw, R, Rt, acc, y, lk, Hk, wOut, dxiOut } = s;
  const br = s.branches!;
  const Cc = s.Cc!;
  acc.fill(0, 0, k + 1);
  const [lwOff, Rk, r, last] = [(V + k) * Lw.capacity + V, k * N1, wOut[0], k === N];
  const row = {
    k,
    last,
    sigma,
    r,
    l: lk,
    dl: Hk,
    y,
    z,
    dxi: dxiOut,
    lw: Lw.L,
    lwOff,
    R,
    Rk,
    Cc,
    Rt,
    out: acc,
  };
  for (let i = 0; i < M; i++) br.sample(row, i);
}

/** Parameter side of step k < N: nu_k, theta_{k+1} and R_theta[k+1, .]. */
function stepParameters(s: GroupState, k: number): void {
  const {
    A,
    Ak,
    D,
    Gamma,
    Lh,
    Lnu,
    M,
    N1,
    Th,
    U,
    UU,
    UV,
    acc,
    coef,
    cov,
    delta,
    dhRange,
    eDxi,
    fns,
    memOut,
    nuCoef,
    nuCol0,
    nuOut,
    par,
    rho,
    rows,
    vDxi,
  } = s;
  const Rk = k * N1 * UU;
  // nu_k: Cov(nu_k, nu_j) = delta E[A_k A_j^T], drawn conditionally on nu_0..nu_{k-1}, one unit at a time.
  const width = (k + 1) * U;
  acc.fill(0, 0, U * width);
  const src = Lh ?? A;
  Ak.set(src.subarray(k * U * M, (k + 1) * U * M));
  rowDotsBlock(src, width, M, M, U, Ak, M, acc, width);
  for (let a = 0; a < U; a++) {
    const n = k * U + a + 1;
    for (let j = 0; j < n; j++) {
      const e = acc[a * width + j] / M;
      const same = Math.floor(j / U) === k;
      cov[j] = Lh ? delta * (eDxi * eDxi + (same ? vDxi : 0)) * e : delta * e;
    }
    guard(k, D, "Var(nu)", cov[n - 1]);
    rows[a] = Lnu.addRow(cov.subarray(0, n));
  }
  let dhMin: number;
  let dhMax: number;
  if (par) {
    for (let a = 0; a < U; a++) {
      nuCoef[a].fill(0, 0, par.n + U);
      nuCoef[a].set(rows[a], nuCol0);
    }
    par.appendBlock(U, nuCoef, nuOut);

    // theta_{k+1} = theta_k - D [h(theta_k) + sum_s rho[k,s] theta_s + Gamma_k theta*] + nu_k.
    for (let a = 0; a < U; a++) {
      for (let s = 0; s <= k; s++) for (let b = 0; b < U; b++) coef[s * U + b] = rho[Rk + s * UU + a * U + b];
      memOut[a].fill(0);
      colDots(Th, (k + 1) * U, M, M, coef, memOut[a]);
    }
    thetaStep(s, k, D, Gamma.subarray(k * UV, (k + 1) * UV), dhRange);
    [dhMin, dhMax] = dhRange;
  } else {
    // In closed form: h' = lambda_k (this step's scheduled value, if any), theta_{k+1}'s rows of B.
    dhMin = dhMax = fns.dh(0);
    closedParameters(s, k, dhMin);
  }

  // The memory terms of step k + 1 by their recursion, where they have one; R_theta then only for --kernels.
  if (s.Mh) memoryNext(s, k, dhMin);
  if (s.Mh && !s.p.kernels) return;
  rThetaRow(s, k, dhMin, dhMax);
}

/**
 * The memory terms of step k + 1, m_{k+1} = sum_{s<=k} R_theta[k+1, s] A_s, from R_theta's recursion
 * (constant h' = dh): m_{k+1} = (1 - D dh) m_k + A_k - D sum_{t<=k} rho[k, t] m_t. One O(M k) pass over the
 * memory history replaces the pass over A with R_theta's row, and R_theta's O(k^2) recursion goes.
 */
function memoryNext(s: GroupState, k: number, dh: number): void {
  const { A, D, M, N1, U, UU, coef, memOut, rho } = s;
  const Mh = s.Mh!;
  const Rk = k * N1 * UU;
  const decay = 1 - D * dh;
  for (let a = 0; a < U; a++) {
    const out = memOut[a];
    const c = (k * U + a) * M;
    for (let i = 0; i < M; i++) out[i] = decay * Mh[c + i] + A[c + i];
    for (let t = 0; t <= k; t++)
      for (let b = 0; b < U; b++) coef[t * U + b] = -D * rho[Rk + t * UU + a * U + b];
    colDots(Mh, (k + 1) * U, M, M, coef, out);
  }
  for (let a = 0; a < U; a++) Mh.set(memOut[a], ((k + 1) * U + a) * M);
}

/** R_theta[k+1, 0..k]: deterministic when h' is constant (dhMin = dhMax), else averaged per-sample tangents. */
export function rThetaRow(s: GroupState, k: number, dhMin: number, dhMax: number): void {
  const { D, M, N1, P, R, Rt, Th, U, UU, acc, fns, rho, rhoT } = s;
  const Rk = k * N1 * UU;
  const R1 = (k + 1) * N1 * UU;
  if (dhMin === dhMax && U === 1) {
    // The k = 1 case as SIMD vector-matrix products over the rows of R_theta: acc_s = sum_t R_theta[t, s]
    // rho[k, t]. R_theta[t, s] = 0 for t <= s, so rows t0..t0+ROW_BLOCK-1 reach only columns s < t0 +
    // ROW_BLOCK (half the work of the whole square; the same sums, in the same order, as over it).
    acc.fill(0, 0, k + 1);
    for (let t0 = 0; t0 <= k; t0 += ROW_BLOCK) {
      const rows = Math.min(ROW_BLOCK, k + 1 - t0);
      colDots(
        R.subarray(t0 * N1),
        rows,
        N1,
        Math.min(k + 1, t0 + rows),
        rho.subarray(Rk + t0, Rk + t0 + rows),
        acc,
      );
    }
    const decay = 1 - D * dhMin;
    for (let s = 0; s <= k; s++) R[R1 + s] = decay * R[Rk + s] + (s === k ? 1 : 0) - D * acc[s];
  } else if (dhMin === dhMax) {
    rThetaConstantCurvature(R, Rt, rho, k, N1, U, D, dhMin);
  } else {
    paramResponseRowBlock(U, { k, M, N1, D, Th, dh: fns.dh, rhoT, Q: P, out: acc });
    for (let s = 0; s <= k; s++) for (let e = 0; e < UU; e++) R[R1 + s * UU + e] = acc[s * UU + e] / M;
  }
  if (Rt.length > 0)
    for (let s = 0; s <= k; s++)
      for (let e = 0; e < UU; e++) Rt[(s * N1 + k + 1) * UU + e] = R[R1 + s * UU + e];
}

/**
 * R_theta[k+1, s] = (1 - D h') R_theta[k, s] + delta_ks I - D sum_{t=s+1..k} rho[k,t] R_theta[t, s] when h' is
 * a constant (quadratic penalty): deterministic, O(k^2 U^3). R_theta[t, s] is read from the block transpose
 * Rt (blocks (s, t), t running along a row), so the inner sum streams memory instead of striding by N1 U^2.
 * Its own function so that its long loop is compiled alone by on-stack replacement, not the whole of
 * stepParameters.
 */
function rThetaConstantCurvature(
  R: Float64Array,
  Rt: Float64Array,
  rho: Float64Array,
  k: number,
  N1: number,
  U: number,
  D: number,
  dh: number,
): void {
  const UU = U * U;
  const Rk = k * N1 * UU;
  const R1 = (k + 1) * N1 * UU;
  for (let s = 0; s <= k; s++) {
    const Rs = s * N1 * UU;
    for (let a = 0; a < U; a++) {
      for (let b = 0; b < U; b++) {
        let v = (1 - D * dh) * R[Rk + s * UU + a * U + b] + (s === k && a === b ? 1 : 0);
        for (let t = s + 1; t <= k; t++) {
          for (let c = 0; c < U; c++) v -= D * rho[Rk + t * UU + a * U + c] * Rt[Rs + t * UU + c * U + b];
        }
        R[R1 + s * UU + a * U + b] = v;
      }
    }
  }
}
