// The closed deterministic equations of the discrete DMFT scheme (theory note §5) for linear models,
// l = a r + b(y), h = lambda theta. Responses are deterministic and tau-independent; the two-time second
// moments close because every prediction r_j is multilinear in the increments dxi_s, so only the first
// two moments of dxi enter (SGF, the Poisson sgd-limit and independent batch fractions coincide).
// Derivation: docs/special-cases.md.
// Schedules (issue 16) and a tilted penalty h = lambda theta + c: per-step lambda_k, c_k, tau_k (`steps`);
// a tilt gives theta a deterministic mean mu_k, which enters C_theta through -D c_k mu_j.
import { checkMemory, RunError } from "../../util/errors.js";
import type { LinearCoefficients } from "./coefficients.js";

export interface LinearSchemeParams {
  D: number;
  N: number;
  delta: number;
  tau: number;
  initStd: number;
  /** Warm start: theta_0 = initOverlap theta* + initStd z (default 0). */
  initOverlap?: number;
  /** Per-step values (N + 1 entries): penalty h = lambda_k theta + tilt_k, noise tau_k. */
  steps?: { lambda: Float64Array; tilt: Float64Array; tau: Float64Array };
}

export interface LinearSchemeOut {
  train_loss: Float64Array;
  q: Float64Array;
  m: Float64Array;
  /** Row-major (N+1) x (N+1): C_theta, R_theta, rho; Gamma has N+1 entries. */
  C: Float64Array;
  R: Float64Array;
  rho: Float64Array;
  Gamma: Float64Array;
}

function guard(k: number, D: number, what: string, v: number, limit: number): void {
  if (!Number.isFinite(v) || Math.abs(v) > limit) {
    throw new RunError(
      `exact linear solver blew up at step ${k} (t = ${+(k * D).toFixed(10)}): ${what} = ${v}`,
    );
  }
}

export function linearSchemeBytes(N: number): number {
  return 8 * 8 * (N + 1) ** 2;
}

/** Solves the scheme on t_k = k D, k = 0..N, in one causal pass (O(N^3) time, eight (N+1)^2 arrays). */
export function solveLinearScheme(c: LinearCoefficients, p: LinearSchemeParams): LinearSchemeOut {
  const { D, N, delta, tau } = p;
  const { a, lambda: lam0, rhoStar, Eb2, Ewb, EL0 } = c;
  checkMemory("exact linear solver", linearSchemeBytes(N));
  const N1 = N + 1;
  const R = new Float64Array(N1 * N1); // R_theta[k,s] = E d theta_k / d nu_s (s < k)
  const RT = new Float64Array(N1 * N1); // transposes, so that every inner loop is contiguous
  const phi = new Float64Array(N1 * N1); // E dr_k/d(dxi_s) / l_s (s < k)
  const phiT = new Float64Array(N1 * N1);
  const rho = new Float64Array(N1 * N1);
  const C = new Float64Array(N1 * N1); // E theta_k theta_j
  const S = new Float64Array(N1 * N1); // E r_k r_j
  const Cnu = new Float64Array(N1 * N1); // Cov(nu_k, nu_j) = delta E[l_k dxi_k l_j dxi_j]
  const W = new Float64Array(N1); // E w_k r_j (current k)
  const U = new Float64Array(N1); // E r_k b
  const V = new Float64Array(N1); // E r_k w*
  const El2 = new Float64Array(N1); // E l_k^2
  const m = new Float64Array(N1);
  const q = new Float64Array(N1);
  const Gamma = new Float64Array(N1);
  const train_loss = new Float64Array(N1);
  const mu = D / delta; // -E dxi
  const nz = (tau * D) / delta; // Var dxi
  const st = p.steps;
  const nzs = st ? Array.from(st.tau, (t) => (t * D) / delta) : null; // Var dxi_k under a tau schedule
  const nzConst = !nzs || nzs.every((v) => v === nzs[0]);
  const tilted = st?.tilt.some((c) => c !== 0) ?? false;
  const mean = new Float64Array(N1); // E theta_k (nonzero only with a tilt)
  const beta = rhoStar > 0 ? Ewb / rhoStar : 0; // E[w_k b] = m_k beta
  const limit = 1e12 * (1 + rhoStar + p.initStd ** 2 + Eb2);
  const m0 = p.initOverlap ?? 0;
  C[0] = m0 * m0 * rhoStar + p.initStd ** 2;
  m[0] = m0 * rhoStar;

  for (let k = 0; k <= N; k++) {
    const rk = k * N1;
    q[k] = C[rk + k];
    guard(k, D, "q", q[k], limit);
    // Responses: phi[k,s] = R[k,s] - a mu sum_{s<b<k} R[k,b] phi[b,s];  rho[k,s] = -a^2 mu phi[k,s].
    for (let s = 0; s < k; s++) {
      let v = R[rk + s];
      let acc = 0;
      const sb = s * N1;
      for (let b = s + 1; b < k; b++) acc += R[rk + b] * phiT[sb + b];
      v -= a * mu * acc;
      phi[rk + s] = v;
      phiT[sb + k] = v;
      rho[rk + s] = -a * a * mu * v;
    }
    rho[rk + k] = a;
    // Prediction-side moments with w*, b and w_k.
    let vk = m[k];
    let uk = m[k] * beta;
    for (let s = 0; s < k; s++) {
      vk -= mu * R[rk + s] * (a * V[s] + Ewb);
      uk -= mu * R[rk + s] * (a * U[s] + Eb2);
    }
    V[k] = vk;
    U[k] = uk;
    for (let j = 0; j <= k; j++) {
      let v = C[rk + j];
      const rj = j * N1;
      for (let s = 0; s < j; s++) v -= mu * R[rj + s] * (a * W[s] + m[k] * beta);
      W[j] = v;
    }
    // S[k,j] = W[k,j] + sum_{s<k} R[k,s] E[u_s r_j], E[u_s r_j] = -mu (a S[s,j] + U_j) + [s<j] nz phi[j,s] El2[s].
    for (let j = 0; j <= k; j++) {
      const rj = j * N1;
      let rs = 0;
      let ra = 0;
      let noise = 0;
      for (let s = 0; s < k; s++) {
        rs += R[rk + s];
        ra += R[rk + s] * S[rj + s];
      }
      if (nzConst) for (let s = 0; s < j; s++) noise += R[rk + s] * phi[rj + s] * El2[s];
      else for (let s = 0; s < j; s++) noise += R[rk + s] * phi[rj + s] * El2[s] * nzs![s];
      const v = W[j] - mu * (a * ra + U[j] * rs) + (nzConst ? (nzs ? nzs[0] : nz) * noise : noise);
      S[rk + j] = v;
      S[rj + k] = v;
    }
    const Skk = S[rk + k];
    El2[k] = a * a * Skk + 2 * a * U[k] + Eb2;
    train_loss[k] = EL0 + U[k] + 0.5 * a * Skk;
    guard(k, D, "train loss", train_loss[k], limit);
    // Gamma_k by Stein: E[w* l_k] = rho* Gamma_k + sum_s rho[k,s] m_s.
    if (rhoStar > 0) {
      let st = a * V[k] + Ewb;
      for (let s = 0; s <= k; s++) st -= rho[rk + s] * m[s];
      Gamma[k] = st / rhoStar;
    }
    if (k === N) break;
    // Noise covariance row k.
    for (let j = 0; j < k; j++) {
      const ll = a * a * S[rk + j] + a * (U[k] + U[j]) + Eb2;
      const v = -D * (-mu * ll + (nzs ? nzs[j] : nz) * a * phi[rk + j] * El2[j]);
      Cnu[rk + j] = v;
      Cnu[j * N1 + k] = v;
    }
    Cnu[rk + k] = delta * El2[k] * (mu * mu + (nzs ? nzs[k] : nz));
    // Parameter side: R row k+1, m_{k+1}, C row k+1.
    const lambda = st ? st.lambda[k] : lam0;
    const r1 = (k + 1) * N1;
    for (let s = 0; s <= k; s++) {
      let v = (1 - D * lambda) * R[rk + s] + (s === k ? 1 : 0);
      const sb = s * N1;
      for (let b = s + 1; b <= k; b++) v -= D * rho[rk + b] * RT[sb + b];
      R[r1 + s] = v;
      RT[sb + k + 1] = v;
    }
    let mn = (1 - D * lambda) * m[k] - D * Gamma[k] * rhoStar;
    for (let s = 0; s <= k; s++) mn -= D * rho[rk + s] * m[s];
    m[k + 1] = mn;
    if (tilted) {
      let me = (1 - D * lambda) * mean[k] - D * st!.tilt[k];
      for (let s = 0; s <= k; s++) me -= D * rho[rk + s] * mean[s];
      mean[k + 1] = me;
    }
    for (let j = 0; j <= k + 1; j++) {
      const rj = j * N1;
      let v = (1 - D * lambda) * C[rk + j] - D * Gamma[k] * m[j];
      if (tilted) v -= D * st!.tilt[k] * mean[j];
      for (let s = 0; s <= k; s++) v -= D * rho[rk + s] * C[rj + s];
      for (let s = 0; s < j; s++) v += R[rj + s] * Cnu[rk + s];
      C[r1 + j] = v;
      C[rj + k + 1] = v;
    }
  }
  return { train_loss, q, m, C, R, rho, Gamma };
}
