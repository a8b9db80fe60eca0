// Small dense linear algebra for the Monte-Carlo DMFT solver: a lower-triangular Cholesky factor that
// grows by one row per time step (conditional Gaussian draws), and Gram–Schmidt orthonormalisation of a
// block of new columns of per-sample Gaussian draws against the earlier ones (moment matching).
// The triangular solves (a new row of the factor, and L^T x = b for Stein, stein.ts) run in blocks of
// TRI_BLOCK rows: the products with all earlier rows in one SIMD kernel pass per block, only the small
// triangle inside the block in JS (rows 0..TRI_BLOCK-1 therefore come out exactly as a plain JS loop).
import { arenaDoubles, colDots, colDotsBlock, rowDots, rowDotsBlock, type WasmArena } from "./wasm.js";

/** Rows per block of the blocked triangular solves. */
export const TRI_BLOCK = 64;

/**
 * Relative size (to the new variable's variance) below which a squared pivot is treated as zero: rounding
 * in ill-conditioned Gram matrices (e.g. converged gradient-flow noise covariances) reaches ~1e-7.
 */
const PIVOT_TOL = 1e-6;

/**
 * Cholesky factor L of a covariance matrix that grows by one variable at a time. Rows are appended with
 * the new variable's covariances with all earlier ones. Semidefinite directions get a zero pivot (their
 * column of L is zero), so degenerate variables (e.g. theta_0 = 0) are handled without division by zero.
 */
export class GrowingCholesky {
  readonly L: Float64Array;
  n = 0;
  /** Pivots whose square came out clearly negative (below -PIVOT_TOL x variance) and were clamped to 0. */
  clamped = 0;
  /** Pivots set to zero because the new variable lies numerically in the span of the earlier ones. */
  zeroPivots = 0;

  /** Doubles a GrowingCholesky(capacity, arena) takes from its WasmArena. */
  static doubles(capacity: number): number {
    return arenaDoubles(capacity * capacity, TRI_BLOCK);
  }

  /** Products of a block of earlier rows with the new row; minus a block of solve's x (scratch). */
  private readonly t: Float64Array;

  /** With `arena` (sized by `doubles`), the blocked solve runs in the SIMD kernels. */
  constructor(
    readonly capacity: number,
    arena?: WasmArena,
  ) {
    const f64 = (n: number) => (arena ? arena.f64(n) : new Float64Array(n));
    this.L = f64(capacity * capacity);
    this.t = f64(TRI_BLOCK);
  }

  /** Appends a variable with covariances `cov[0..n]` (cov[n] is its variance); returns its row of L. */
  addRow(cov: ArrayLike<number>): Float64Array {
    const n = this.n;
    const cap = this.capacity;
    if (n >= cap) throw new RangeError("GrowingCholesky: capacity exceeded");
    const { L, t } = this;
    const row = n * cap;
    let sq = 0;
    // Forward substitution L[0..n) v = cov in blocks of rows [j0, j1): t_j = L[j, 0..j0) . v[0..j0) for the
    // whole block in one pass (the rows are zero beyond their diagonal), then the triangle inside it.
    for (let j0 = 0; j0 < n; j0 += TRI_BLOCK) {
      const j1 = Math.min(n, j0 + TRI_BLOCK);
      if (j0 > 0) rowDots(L.subarray(j0 * cap), j1 - j0, cap, j0, L.subarray(row, row + j0), t, "set");
      for (let j = j0; j < j1; j++) {
        const pj = L[j * cap + j];
        let v = 0;
        if (pj > 0) {
          let s = j0 > 0 ? cov[j] - t[j - j0] : cov[j];
          for (let l = j0; l < j; l++) s -= L[row + l] * L[j * cap + l];
          v = s / pj;
        }
        L[row + j] = v;
        sq += v * v;
      }
    }
    let piv2 = cov[n] - sq;
    const tol = PIVOT_TOL * Math.abs(cov[n]);
    if (piv2 <= tol) {
      if (piv2 < -tol) this.clamped++;
      else this.zeroPivots++;
      piv2 = 0;
    }
    L[row + n] = Math.sqrt(piv2);
    this.n = n + 1;
    return L.subarray(row, row + n + 1);
  }

  /**
   * Solves L^T x = b in place (x = b on entry, n = this.n entries), with x_j = 0 on zero pivots. Backwards
   * and row-oriented in blocks of rows [j0, j1): inside the block x_j = t_j / L_jj, then t_i -= L_ji x_j for
   * j0 <= i < j; then t_i -= sum_j L_ji x_j for all i < j0 in one kernel pass over the block's rows (when x
   * is in this factor's arena).
   */
  solveTransposed(x: Float64Array): void {
    const { L, t, n } = this;
    const cap = this.capacity;
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
      for (let j = j0; j < j1; j++) t[j - j0] = -x[j];
      colDots(L.subarray(j0 * cap), j1 - j0, cap, j0, t, x);
    }
  }
}

/**
 * Orthonormalises the m vectors W[t*M .. t*M+M-1] (in order) against columns 0..ncols-1 of the column-major
 * matrix Z (column j is Z[j*M .. j*M+M-1]), whose columns satisfy sum_i Z[j,i] Z[l,i] = M delta_jl, and
 * against each other, and stores them, with sum_i z_i^2 = M, as columns ncols..ncols+m-1. Classical
 * Gram–Schmidt as a block: one pass computes the dots of all new vectors with the old columns, one pass
 * subtracts the projections, then the few new columns are orthonormalised among themselves. One pass
 * suffices: the columns are random with M well above their number, so [Z, W] is well conditioned
 * (orthogonality error ~1e-15). For m = 1 this is the plain one-column Gram–Schmidt step. `dots` is
 * scratch of length >= m * ncols. Both passes stream whole columns through the WebAssembly SIMD kernels
 * when Z, W and dots come from one WasmArena (the dots then differ from the JS loop at rounding level).
 */
export function appendOrthonormalColumns(
  Z: Float64Array,
  M: number,
  ncols: number,
  m: number,
  W: Float64Array,
  dots: Float64Array,
): void {
  dots.fill(0, 0, m * ncols);
  // dots[t][j] = Z_j . W_t: a row-dot pass over Z read as ncols rows of length M.
  rowDotsBlock(Z, ncols, M, M, m, W, M, dots, ncols);
  for (let j = 0; j < m * ncols; j++) dots[j] = -dots[j] / M;
  // W_t += sum_j dots[t][j] Z_j: a column-dot pass over the same rows.
  colDotsBlock(Z, ncols, M, M, m, dots, ncols, W, M);
  for (let t = 0; t < m; t++) {
    const w = W.subarray(t * M, (t + 1) * M);
    for (let s = 0; s < t; s++) {
      const z = W.subarray(s * M, (s + 1) * M);
      let d = 0;
      for (let i = 0; i < M; i++) d += w[i] * z[i];
      d /= M;
      for (let i = 0; i < M; i++) w[i] -= d * z[i];
    }
    let ss = 0;
    for (let i = 0; i < M; i++) ss += w[i] * w[i];
    const scale = Math.sqrt(M / ss);
    for (let i = 0; i < M; i++) w[i] *= scale;
    Z.set(w, (ncols + t) * M);
  }
}
