// One independent Monte-Carlo solve ("group") of the discrete-time DMFT of theory note §5: M prediction-
// side and M parameter-side samples marched forward once over t_k = k D. At step k: parameter-side
// moments C_theta[k,.], m_k; w_k drawn conditionally on the past (Cholesky extended by one row); r_k, l_k;
// rho[k,.] by the exact discrete tangent (row k of (I - K)^-1, computed backwards per sample so that only
// O(M N) history is stored); Gamma_k by Stein; nu_k with Cov = delta E[l dxi l dxi]; theta_{k+1};
// R_theta[k+1,.]. Groups share nothing, so their spread gives honest standard errors.
import type { CompiledFns } from "../../types.js";
import { RunError } from "../../util/errors.js";
import { Rng } from "../../util/rng.js";
import { GaussianColumns } from "./columns.js";
import { GrowingCholesky } from "./linalg.js";
import { paramResponseRow, predictionResponseRow } from "./responses.js";

export interface SchemeParams {
  dynamics: "sgf" | "gd" | "sgd-limit";
  dt: number;
  N: number;
  delta: number;
  tau: number;
  rhoStar: number;
  initStd: number;
  kernels: boolean;
  /** Moment matching of all Gaussian inputs (orthonormalised columns). */
  orthogonal: boolean;
  /** Test-only: replace Cov(nu) by drift field + independent white noise (the wrong scheme). */
  dropCrossTerm: boolean;
}

export interface GroupSpec {
  seed: number;
  /** Distinguishes solves sharing a seed (e.g. the dt/2 solve of --extrapolate). */
  tag: number;
  group: number;
  samples: number;
}

export interface GroupOut {
  train_loss: Float64Array;
  q: Float64Array;
  m: Float64Array;
  kernels?: { C_theta: Float64Array; R_theta: Float64Array; rho: Float64Array; Gamma: Float64Array };
  clamped: number;
  zeroPivots: number;
}

/** Throws a RunError naming the step, time and quantity if `value` is not finite or exceeds `limit`. */
function guard(k: number, dt: number, what: string, value: number, limit = Number.POSITIVE_INFINITY): void {
  if (!Number.isFinite(value) || Math.abs(value) > limit) {
    throw new RunError(`solver blew up at step ${k} (t = ${+(k * dt).toFixed(10)}): ${what} = ${value}`);
  }
}

export function solveGroup(fns: CompiledFns, p: SchemeParams, g: GroupSpec): GroupOut {
  const { N, dt: D, delta, tau } = p;
  const N1 = N + 1;
  const M = g.samples;
  const noise = p.dynamics === "sgf" && tau > 0;
  const jumps = p.dynamics === "sgd-limit" ? new Rng(g.seed, g.tag, g.group, 2) : null;
  const pred = new GaussianColumns(
    M,
    3 + N1 + (noise ? N : 0),
    new Rng(g.seed, g.tag, g.group, 0),
    p.orthogonal,
  );
  const par = new GaussianColumns(M, 3 + N, new Rng(g.seed, g.tag, g.group, 1), p.orthogonal);
  const limit = 1e10 * (1 + p.rhoStar + p.initStd ** 2);

  // Parameter side: theta* and theta_0, then the history theta_0..theta_N (sample-major).
  const thStar = new Float64Array(M);
  const Th = new Float64Array(M * N1);
  const cStar = par.append();
  const c0 = par.append();
  let gss = 0;
  for (let i = 0; i < M; i++) {
    thStar[i] = Math.sqrt(p.rhoStar) * par.at(i, cStar);
    Th[i * N1] = p.initStd * par.at(i, c0);
    gss += thStar[i] * thStar[i];
  }
  gss /= M;

  // Prediction side: teacher field, label; histories a_s = l dxi, c_s = dl dxi (and l_s if needed).
  const Lw = new GrowingCholesky(N1 + 1);
  const sw = Lw.addRow([gss])[0];
  const wcStar = pred.append();
  const wcEps = pred.append();
  const wstar = new Float64Array(M);
  const y = new Float64Array(M);
  for (let i = 0; i < M; i++) {
    wstar[i] = sw * pred.at(i, wcStar);
    y[i] = fns.label(wstar[i], pred.at(i, wcEps));
  }
  const A = new Float64Array(M * N1);
  const Cc = new Float64Array(M * N1);
  const Lh = p.dropCrossTerm ? new Float64Array(M * N1) : null;
  const wCol = new Int32Array(N1);
  const lk = new Float64Array(M);
  const dlk = new Float64Array(M);
  const Lnu = new GrowingCholesky(N1);

  // Kernels (row-major N1 x N1) and transposes used by the inner loops.
  const C = new Float64Array(N1 * N1);
  const R = new Float64Array(N1 * N1);
  const Rt = new Float64Array(N1 * N1);
  const rho = new Float64Array(N1 * N1);
  const rhoT = new Float64Array(N1 * N1);
  const Gamma = new Float64Array(N1);
  const train_loss = new Float64Array(N1);
  const q = new Float64Array(N1);
  const m = new Float64Array(N1);
  const cov = new Float64Array(N1 + 1);
  const acc = new Float64Array(N1);
  const P = new Float64Array(4 * (N1 + 1));

  const eDxi = -D / delta;
  const sdB = Math.sqrt((tau * D) / delta);
  const vDxi = p.dynamics === "gd" ? 0 : (tau * D) / delta;

  for (let k = 0; k <= N; k++) {
    // Parameter-side moments C_theta[k, 0..k], m_k.
    acc.fill(0, 0, k + 1);
    let mk = 0;
    for (let i = 0; i < M; i++) {
      const base = i * N1;
      const tk = Th[base + k];
      mk += tk * thStar[i];
      for (let s = 0; s <= k; s++) acc[s] += tk * Th[base + s];
    }
    for (let s = 0; s <= k; s++) {
      C[k * N1 + s] = acc[s] / M;
      C[s * N1 + k] = acc[s] / M;
    }
    m[k] = mk / M;
    q[k] = C[k * N1 + k];
    guard(k, D, "q (parameter-side second moment)", q[k], limit);

    // w_k conditionally on (w*, w_0..w_{k-1}); r_k, loss, l, dl.
    cov[0] = m[k];
    for (let s = 0; s <= k; s++) cov[s + 1] = C[k * N1 + s];
    const row = Lw.addRow(cov.subarray(0, k + 2));
    wCol[k] = pred.append();
    const Z = pred.Z;
    const zs = pred.stride;
    const Rk = k * N1;
    let lossSum = 0;
    let wl = 0;
    for (let i = 0; i < M; i++) {
      const zb = i * zs;
      const base = i * N1;
      let w = row[0] * Z[zb + wcStar];
      for (let j = 0; j <= k; j++) w += row[j + 1] * Z[zb + wCol[j]];
      let r = w;
      for (let s = 0; s < k; s++) r += R[Rk + s] * A[base + s];
      const yi = y[i];
      const l = fns.l(r, yi);
      lossSum += fns.loss(r, yi);
      wl += wstar[i] * l;
      lk[i] = l;
      dlk[i] = fns.dl(r, yi);
      if (Lh) Lh[base + k] = l;
    }
    train_loss[k] = lossSum / M;
    guard(k, D, "train loss", train_loss[k]);
    guard(k, D, "E[w* l]", wl);

    // dxi_k, and the histories a_k = l_k dxi_k, c_k = dl_k dxi_k.
    if (k < N) {
      const dbCol = noise ? pred.append() : -1;
      for (let i = 0; i < M; i++) {
        let dxi = eDxi;
        if (jumps) dxi = -tau * jumps.poisson(D / (tau * delta));
        else if (noise) dxi += sdB * Z[i * zs + dbCol];
        A[i * N1 + k] = lk[i] * dxi;
        Cc[i * N1 + k] = dlk[i] * dxi;
      }
    }

    // rho[k, 0..k] by the exact discrete tangent; Gamma_k by Stein's identity.
    predictionResponseRow(k, M, N1, Cc, dlk, Rt, P, acc);
    let stein = wl / M;
    for (let s = 0; s <= k; s++) {
      rho[k * N1 + s] = acc[s] / M;
      rhoT[s * N1 + k] = acc[s] / M;
      stein -= rho[k * N1 + s] * m[s];
    }
    Gamma[k] = stein / gss;
    guard(k, D, "Gamma", Gamma[k]);
    if (k === N) break;

    // nu_k: Cov(nu_k, nu_j) = delta E[a_k a_j], drawn conditionally on nu_0..nu_{k-1}.
    acc.fill(0, 0, k + 1);
    const src = Lh ?? A;
    for (let i = 0; i < M; i++) {
      const base = i * N1;
      const ak = src[base + k];
      for (let j = 0; j <= k; j++) acc[j] += ak * src[base + j];
    }
    for (let j = 0; j <= k; j++) {
      cov[j] = Lh ? delta * (eDxi * eDxi + (j === k ? vDxi : 0)) * (acc[j] / M) : (delta * acc[j]) / M;
    }
    guard(k, D, "Var(nu)", cov[k]);
    const nuRow = Lnu.addRow(cov.subarray(0, k + 1));
    par.append();

    // theta_{k+1} = theta_k - D [h(theta_k) + sum_s rho[k,s] theta_s + Gamma_k theta*] + nu_k.
    const PZ = par.Z;
    const ps = par.stride;
    const rk = k * N1;
    let dhMin = Number.POSITIVE_INFINITY;
    let dhMax = Number.NEGATIVE_INFINITY;
    for (let i = 0; i < M; i++) {
      const base = i * N1;
      const zb = i * ps + 3;
      const tk = Th[base + k];
      let nu = 0;
      for (let j = 0; j <= k; j++) nu += nuRow[j] * PZ[zb + j];
      let mem = 0;
      for (let s = 0; s <= k; s++) mem += rho[rk + s] * Th[base + s];
      Th[base + k + 1] = tk - D * (fns.h(tk) + mem + Gamma[k] * thStar[i]) + nu;
      const dh = fns.dh(tk);
      if (dh < dhMin) dhMin = dh;
      if (dh > dhMax) dhMax = dh;
    }

    // R_theta[k+1, 0..k]: deterministic when h' is constant, else averaged per-sample tangents.
    const r1 = (k + 1) * N1;
    if (dhMin === dhMax) {
      for (let s = 0; s <= k; s++) {
        let v = (1 - D * dhMin) * R[k * N1 + s] + (s === k ? 1 : 0);
        for (let a = s + 1; a <= k; a++) v -= D * rho[rk + a] * R[a * N1 + s];
        R[r1 + s] = v;
      }
    } else {
      paramResponseRow(k, M, N1, D, Th, fns.dh, rhoT, P, acc);
      for (let s = 0; s <= k; s++) R[r1 + s] = acc[s] / M;
    }
    for (let s = 0; s <= k; s++) Rt[s * N1 + k + 1] = R[r1 + s];
  }

  const out: GroupOut = {
    train_loss,
    q,
    m,
    clamped: Lw.clamped + Lnu.clamped,
    zeroPivots: Lw.zeroPivots + Lnu.zeroPivots,
  };
  if (p.kernels) out.kernels = { C_theta: C, R_theta: R, rho, Gamma };
  return out;
}
