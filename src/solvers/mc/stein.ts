// The Stein (Gaussian integration by parts) response estimator of the Monte-Carlo solver (issues 14, 15;
// docs/theory.md "Response estimators"). The prediction-side fields g = (w*, w_0, ..., w_k) are g = L Z
// with L the growing Cholesky factor and Z the moment-matched inputs (<Z Z^T> = I and <Z> = 0 exactly), so
// Cov(g, l_k) = C E[grad_g l_k] gives, for each unit a, with no derivative of l at all:
//     (Gamma_k, rho[k, 0..k]) row a  =  L^-T <Z l_k^a>          (zero on degenerate pivots)
// i.e. the least-squares regression of l_k on g. It is exact in expectation also where l jumps (hinge,
// ReLU, absolute loss). Cost per step: one pass over the M x (field columns taken) inputs, O(M k), and a
// triangular solve, O(k^2): O(M N^2) per solve instead of the tangent's O(M N^3).
import type { GaussianColumns } from "./columns.js";
import { type GrowingCholesky, TRI_BLOCK } from "./linalg.js";
import { colDots, rowDotsBlock } from "./wasm.js";

/** Scratch of the Stein estimator (allocated by group.ts from the group's arena). */
export interface SteinScratch {
  /** l_k column-major (unit a: lcol[a M .. a M + M - 1]). */
  lcol: Float64Array;
  /** dots[a W + j] = sum_i Z_j(i) l_k^a(i) over the W input columns of the prediction side. */
  dots: Float64Array;
  /** The right-hand side / solution of the triangular solve (one unit at a time). */
  x: Float64Array;
  /** -x over one block of TRI_BLOCK rows (the blocked solve's kernel operand). */
  negX: Float64Array;
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
  const { lcol, dots, x, negX } = sc;
  const n = Lw.n;
  // The dots with the stored columns up to the last field's: the fields, the label noise, and the noise
  // columns dB_s only where they are not stored apart (columns.ts `slot`).
  const W = pred.slot(varCols[n - 1]) + 1;
  for (let i = 0; i < M; i++) for (let a = 0; a < U; a++) lcol[a * M + i] = lk[i * U + a];
  dots.fill(0, 0, U * W);
  rowDotsBlock(pred.Z, W, M, M, U, lcol, M, dots, W);
  const cap = Lw.capacity;
  const L = Lw.L;
  const UU = U * U;
  for (let a = 0; a < U; a++) {
    for (let j = 0; j < n; j++) x[j] = dots[a * W + pred.slot(varCols[j])] / M;
    // L^T x = b backwards, row-oriented, in blocks of rows [j0, j1) (linalg.ts TRI_BLOCK): inside the
    // block x_j = t_j / L_jj, then t_i -= L_ji x_j for j0 <= i < j; then t_i -= sum_j L_ji x_j for all
    // i < j0 in one kernel pass over the block's rows.
    for (let j0 = Math.floor((n - 1) / TRI_BLOCK) * TRI_BLOCK; j0 >= 0; j0 -= TRI_BLOCK) {
      const j1 = Math.min(n, j0 + TRI_BLOCK);
      for (let j = j1 - 1; j >= j0; j--) {
        const row = j * cap;
        const pj = L[row + j];
        if (!(pj > 0)) {
          x[j] = 0;
          continue;
        }
        const xj = x[j] / pj;
        x[j] = xj;
        for (let i = j0; i < j; i++) x[i] -= L[row + i] * xj;
      }
      if (j0 === 0) break;
      for (let j = j0; j < j1; j++) negX[j - j0] = -x[j];
      colDots(L.subarray(j0 * cap), j1 - j0, cap, j0, negX, x);
    }
    for (let c = 0; c < V; c++) gam[a * V + c] = x[c];
    for (let s = 0; s <= k; s++) for (let b = 0; b < U; b++) out[s * UU + a * U + b] = x[V + s * U + b];
  }
}
