// The Stein (Gaussian integration by parts) response estimator of the Monte-Carlo solver (issues 14, 15;
// docs/theory.md "Response estimators"). The prediction-side fields g = (w*, w_0, ..., w_k) are g = L Z
// with L the growing Cholesky factor and Z the moment-matched inputs (<Z Z^T> = I and <Z> = 0 exactly), so
// Cov(g, l_k) = C E[grad_g l_k] gives, for each unit a, with no derivative of l at all:
//     (Gamma_k, rho[k, 0..k]) row a  =  L^-T <Z l_k^a>          (zero on degenerate pivots)
// i.e. the least-squares regression of l_k on g. It is exact in expectation also where l jumps (hinge,
// ReLU, absolute loss). Cost per step: one pass over the M x (field columns taken) inputs, O(M k), and a
// triangular solve, O(k^2): O(M N^2) per solve instead of the tangent's O(M N^3).
import type { GaussianColumns } from "./columns.js";
import type { GrowingCholesky } from "./linalg.js";
import { rowDotsBlock } from "./wasm.js";

/** Scratch of the Stein estimator (allocated by group.ts from the group's arena). */
export interface SteinScratch {
  /** l_k column-major (unit a: lcol[a M .. a M + M - 1]). */
  lcol: Float64Array;
  /** dots[a W + j] = sum_i Z_j(i) l_k^a(i) over the W input columns of the prediction side. */
  dots: Float64Array;
  /** The right-hand side / solution of the triangular solve (one unit at a time; in the arena of Lw). */
  x: Float64Array;
}

/**
 * Row k of the responses by Stein: out[s UU + a U + b] = rho[k,s]_ab (s <= k) and gam[a V + c] = Gamma_k,ac.
 * `lk` is sample-major (i U + a); `varCols[j]` is the input column of row j of `Lw` (teacher V rows, then
 * U rows per step), so Lw.n = V + U (k + 1) here.
 */
export function steinResponseRow(
  U: number,
  V: number,
  k: number,
  M: number,
  lk: Float64Array,
  pred: GaussianColumns,
  Lw: GrowingCholesky,
  varCols: readonly number[],
  sc: SteinScratch,
  out: Float64Array,
  gam: Float64Array,
): void {
  const { lcol, dots, x } = sc;
  const n = Lw.n;
  // The dots with the stored columns up to the last field's: the fields, the label noise, and the noise
  // columns dB_s only where they are not stored apart (columns.ts `slot`).
  const W = pred.slot(varCols[n - 1]) + 1;
  for (let i = 0; i < M; i++) for (let a = 0; a < U; a++) lcol[a * M + i] = lk[i * U + a];
  dots.fill(0, 0, U * W);
  rowDotsBlock(pred.Z, W, M, M, U, lcol, M, dots, W);
  const UU = U * U;
  for (let a = 0; a < U; a++) {
    for (let j = 0; j < n; j++) x[j] = dots[a * W + pred.slot(varCols[j])] / M;
    Lw.solveTransposed(x);
    for (let c = 0; c < V; c++) gam[a * V + c] = x[c];
    for (let s = 0; s <= k; s++) for (let b = 0; b < U; b++) out[s * UU + a * U + b] = x[V + s * U + b];
  }
}
