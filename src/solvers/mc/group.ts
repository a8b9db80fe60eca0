// One independent Monte-Carlo solve ("group") of the discrete-time DMFT of theory note §5-§6: M prediction-
// side and M parameter-side samples marched forward once over t_k = k D, for any k >= 1 (U = k units,
// V = kTeacher; a scalar model is the same code with 1 x 1 blocks). At step k: parameter-side moments
// C_theta[k,.], m_k; w_k drawn conditionally on the past (Cholesky extended by U rows); r_k, l_k, H_k;
// rho[k,.] by the exact discrete tangent (row k of (I - K)^-1, computed backwards per sample so that only
// O(M N) history is stored); Gamma_k by Stein; nu_k with Cov = delta E[(l dxi)(l dxi)^T]; theta_{k+1};
// R_theta[k+1,.]. Blocks are row-major; kernel block (t, s) starts at (t N1 + s) UU. Groups share nothing,
// so their spread gives honest standard errors.
import type { CompiledFns, VectorFns } from "../../types.js";
import { RunError } from "../../util/errors.js";
import { Rng } from "../../util/rng.js";
import { BLOCK, GaussianColumns } from "./columns.js";
import { GrowingCholesky } from "./linalg.js";
import { paramResponseRowBlock, predictionResponseRowBlock } from "./responses-block.js";
import { predictionSamples, type SampleState, teacherOverlaps, thetaStep } from "./samples.js";
import { invertSmall } from "./small.js";
import { arenaDoubles, colDots, rowDots, TANGENT_LANES, WasmArena } from "./wasm.js";

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
  /** Q_k = C_theta[k,k] (U x U per step) and M_k = m_k (U x V per step). */
  Q: Float64Array;
  M: Float64Array;
  kernels?: { C_theta: Float64Array; R_theta: Float64Array; rho: Float64Array; Gamma: Float64Array };
  clamped: number;
  zeroPivots: number;
}

/** Gaussian input columns of each side: [prediction, parameter]. */
export function inputColumns(p: SchemeParams, U: number, V: number): [number, number] {
  const noise = p.dynamics === "sgf" && p.tau > 0;
  return [2 + V + U * (p.N + 1) + (noise ? p.N : 0), 1 + V + U + U * p.N];
}

/** Throws a RunError naming the step, time and quantity if `value` is not finite or exceeds `limit`. */
function guard(k: number, dt: number, what: string, value: number, limit = Number.POSITIVE_INFINITY): void {
  if (!Number.isFinite(value) || Math.abs(value) > limit) {
    throw new RunError(`solver blew up at step ${k} (t = ${+(k * dt).toFixed(10)}): ${what} = ${value}`);
  }
}

export function solveGroup(fns: CompiledFns, vec: VectorFns, p: SchemeParams, g: GroupSpec): GroupOut {
  const { N, dt: D, delta, tau } = p;
  const U = vec.k;
  const V = vec.kTeacher;
  const UU = U * U;
  const UV = U * V;
  const N1 = N + 1;
  const M = g.samples;
  const noise = p.dynamics === "sgf" && tau > 0;
  const jumps = p.dynamics === "sgd-limit" ? new Rng(g.seed, g.tag, g.group, 2) : null;
  const [predCols, parCols] = inputColumns(p, U, V);
  const SW = N1 * U;
  // The per-sample arrays and the coefficient rows the SIMD kernels read share one WebAssembly memory.
  const NN = N1 * N1 * UU;
  const pLen = Math.max(TANGENT_LANES * (N1 + 1), (N1 + 3) * UU);
  const nCoef = Math.max(predCols, parCols, SW);
  const cw = Math.max(BLOCK, U);
  const arena = new WasmArena(
    arenaDoubles(M * predCols, M * cw, predCols * cw) +
      arenaDoubles(M * parCols, M * cw, parCols * cw) +
      arenaDoubles(M * SW, M * SW, M * N1 * UU, M * UU) +
      arenaDoubles(p.dropCrossTerm ? M * SW : 0, NN, NN, NN, N1 * UU * Math.max(U, 1), pLen, nCoef, SW) +
      3 * U * arenaDoubles(M),
  );
  const f64 = (n: number) => arena.f64(n);
  const pred = new GaussianColumns(M, predCols, new Rng(g.seed, g.tag, g.group, 0), p.orthogonal, arena, U);
  const par = new GaussianColumns(M, parCols, new Rng(g.seed, g.tag, g.group, 1), p.orthogonal, arena, U);
  const limit = 1e10 * (1 + p.rhoStar + p.initStd ** 2);

  // Parameter side: theta* (V per sample) and theta_0, then the history theta_0..theta_N (U per step).
  const thStar = new Float64Array(M * V);
  // Histories are column-major: column c = s U + a (step s, unit a) is X[c M .. c M + M - 1].
  const Th = f64(M * SW);
  const hist = (X: Float64Array, c: number) => X.subarray(c * M, (c + 1) * M);
  const cStar = Array.from({ length: V }, () => par.append());
  const c0 = Array.from({ length: U }, () => par.append());
  const nuCol0 = par.n;
  const Gss = new Float64Array(V * V);
  for (let i = 0; i < M; i++) {
    for (let c = 0; c < V; c++) thStar[i * V + c] = Math.sqrt(p.rhoStar) * par.at(i, cStar[c]);
    for (let a = 0; a < U; a++) Th[a * M + i] = p.initStd * par.at(i, c0[a]);
    for (let c = 0; c < V; c++)
      for (let e = 0; e < V; e++) Gss[c * V + e] += thStar[i * V + c] * thStar[i * V + e];
  }
  for (let e = 0; e < V * V; e++) Gss[e] /= M;
  const GssInv = invertSmall(Gss, V);

  // Prediction side: teacher fields w* (covariance Gss), label; histories A_s = l dxi (U), Cc_s = H dxi (UU).
  const Lw = new GrowingCholesky(V + U * N1);
  const varCols: number[] = [];
  const wstar = new Float64Array(M * V);
  for (let c = 0; c < V; c++) {
    const row = Lw.addRow(Gss.subarray(c * V, c * V + c + 1));
    varCols.push(pred.append());
    for (let i = 0; i < M; i++) {
      let w = 0;
      for (let j = 0; j <= c; j++) w += row[j] * pred.at(i, varCols[j]);
      wstar[i * V + c] = w;
    }
  }
  const wcEps = pred.append();
  const y = new Float64Array(M);
  for (let i = 0; i < M; i++) y[i] = vec.label(wstar, i * V, pred.at(i, wcEps));
  const A = f64(M * SW);
  const Cc = f64(M * N1 * UU);
  const Lh = p.dropCrossTerm ? f64(M * SW) : null;
  const lk = new Float64Array(M * U);
  const Hk = f64(M * UU);
  const Lnu = new GrowingCholesky(U * N1);

  // Kernels (block row-major) and block transposes used by the inner loops.
  const C = new Float64Array(N1 * N1 * UU);
  const R = f64(NN);
  const Rt = f64(NN);
  const rho = f64(NN);
  const rhoT = new Float64Array(N1 * N1 * UU);
  const Gamma = new Float64Array(N1 * UV);
  const train_loss = new Float64Array(N1);
  const Qo = new Float64Array(N1 * UU);
  const Mo = new Float64Array(N1 * UV);
  const cov = new Float64Array(V + U * N1);
  const acc = f64(N1 * UU * Math.max(U, 1));
  const wl = new Float64Array(UV);
  const P = f64(pLen);
  // Kernel operands: coefficient row, one column, and per-unit outputs (w, nu, memory term).
  const coef = f64(nCoef);
  const accA = f64(SW);
  const wOut = Array.from({ length: U }, () => f64(M));
  const nuOut = Array.from({ length: U }, () => f64(M));
  // Coefficients of the draws w_k and nu_k over all columns of their side.
  const wCoef = Array.from({ length: U }, () => new Float64Array(predCols));
  const nuCoef = Array.from({ length: U }, () => new Float64Array(parCols));
  const memOut = Array.from({ length: U }, () => f64(M));
  const rows: Float64Array[] = new Array(U);

  const eDxi = -D / delta;
  const vDxi = p.dynamics === "gd" ? 0 : (tau * D) / delta;
  const st: SampleState = {
    M,
    U,
    V,
    N1,
    fns,
    vec,
    Th,
    thStar,
    nuOut,
    memOut,
    wOut,
    wstar,
    y,
    lk,
    Hk,
    rbuf: new Float64Array(U),
    A,
    Cc,
    Lh,
    eDxi,
    sdB: Math.sqrt((tau * D) / delta),
    tau,
    rate: jumps ? D / (tau * delta) : 0,
    jumps,
  };
  const dhRange = new Float64Array(2);

  for (let k = 0; k <= N; k++) {
    // Parameter-side moments C_theta[k, 0..k], m_k.
    teacherOverlaps(st, k, wl);
    for (let a = 0; a < U; a++) {
      rowDots(Th, (k + 1) * U, M, M, hist(Th, k * U + a), accA, "set");
      for (let s = 0; s <= k; s++) for (let b = 0; b < U; b++) acc[s * UU + a * U + b] = accA[s * U + b];
    }
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
    let trace = 0;
    for (let e = 0; e < UU; e++) Qo[k * UU + e] = C[(k * N1 + k) * UU + e];
    for (let a = 0; a < U; a++) trace += Qo[k * UU + a * U + a];
    guard(
      k,
      D,
      U === 1 ? "q (parameter-side second moment)" : "tr Q (parameter-side second moment)",
      trace,
      limit,
    );

    // w_k conditionally on (w*, w_0..w_{k-1}) one unit at a time; r_k, loss, l, H. The step's new prediction-
    // side columns (w_k, then dB_k) are drawn as one block.
    for (let a = 0; a < U; a++) {
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
    pred.appendBlock(nNew, wCoef, wOut);
    const dB = noise && k < N ? pred.column(wCol0 + U) : null;
    const Rk = k * N1 * UU;
    wl.fill(0);
    for (let a = 0; a < U; a++) {
      for (let s = 0; s < k; s++) for (let b = 0; b < U; b++) coef[s * U + b] = R[Rk + s * UU + a * U + b];
      if (k > 0) colDots(A, k * U, M, M, coef, wOut[a]);
    }
    // Per sample: loss, l_k, H_k; then dxi_k (one scalar per sample) and the histories A_k = l_k dxi_k,
    // Cc_k = H_k dxi_k.
    const lossSum = predictionSamples(st, k, k === N, dB, wl);
    train_loss[k] = lossSum / M;
    guard(k, D, "train loss", train_loss[k]);
    for (let e = 0; e < UV; e++) guard(k, D, "E[w* l]", wl[e]);

    // rho[k, 0..k] by the exact discrete tangent; Gamma_k by Stein's identity.
    predictionResponseRowBlock(U, k, M, N1, Cc, Hk, Rt, P, acc);
    for (let s = 0; s <= k; s++) {
      for (let e = 0; e < UU; e++) {
        rho[Rk + s * UU + e] = acc[s * UU + e] / M;
        rhoT[(s * N1 + k) * UU + e] = acc[s * UU + e] / M;
      }
    }
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
    if (k === N) break;

    // nu_k: Cov(nu_k, nu_j) = delta E[A_k A_j^T], drawn conditionally on nu_0..nu_{k-1}, one unit at a time.
    const width = (k + 1) * U;
    acc.fill(0, 0, U * width);
    const src = Lh ?? A;
    for (let a = 0; a < U; a++) {
      rowDots(src, width, M, M, hist(src, k * U + a), acc.subarray(a * width, (a + 1) * width), "set");
    }
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
    thetaStep(st, k, D, Gamma.subarray(k * UV, (k + 1) * UV), dhRange);
    const [dhMin, dhMax] = dhRange;

    // R_theta[k+1, 0..k]: deterministic when h' is constant, else averaged per-sample tangents.
    const R1 = (k + 1) * N1 * UU;
    if (dhMin === dhMax) {
      for (let s = 0; s <= k; s++) {
        for (let a = 0; a < U; a++) {
          for (let b = 0; b < U; b++) {
            let v = (1 - D * dhMin) * R[Rk + s * UU + a * U + b] + (s === k && a === b ? 1 : 0);
            for (let t = s + 1; t <= k; t++) {
              for (let c = 0; c < U; c++)
                v -= D * rho[Rk + t * UU + a * U + c] * R[(t * N1 + s) * UU + c * U + b];
            }
            R[R1 + s * UU + a * U + b] = v;
          }
        }
      }
    } else {
      paramResponseRowBlock(U, k, M, N1, D, Th, fns.dh, rhoT, P, acc);
      for (let s = 0; s <= k; s++) for (let e = 0; e < UU; e++) R[R1 + s * UU + e] = acc[s * UU + e] / M;
    }
    for (let s = 0; s <= k; s++)
      for (let e = 0; e < UU; e++) Rt[(s * N1 + k + 1) * UU + e] = R[R1 + s * UU + e];
  }

  const out: GroupOut = {
    train_loss,
    Q: Qo,
    M: Mo,
    clamped: Lw.clamped + Lnu.clamped,
    zeroPivots: Lw.zeroPivots + Lnu.zeroPivots,
  };
  // Copies out of the arena: a view would structured-clone its whole WebAssembly memory.
  if (p.kernels) out.kernels = { C_theta: C, R_theta: R.slice(), rho: rho.slice(), Gamma };
  arena.release();
  return out;
}
