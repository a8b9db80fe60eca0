// Small dense linear algebra for the Monte-Carlo DMFT solver: a lower-triangular Cholesky factor that
// grows by one row per time step (conditional Gaussian draws), and Gram–Schmidt orthonormalisation of a
// block of new columns of per-sample Gaussian draws against the earlier ones (moment matching).
// The triangular solves (a new row of the factor, and L^T x = b for Stein, stein.ts) run in blocks of
// TRI_BLOCK rows: the products with all earlier rows in one SIMD kernel pass per block, only the small
// triangle inside the block in JS (rows 0..TRI_BLOCK-1 therefore come out exactly as a plain JS loop).
import type { DenseX } from "../../kernels/js.js";
import { arenaDoubles, colDots, colDotsBlock, rowDots, rowDotsBlock, type WasmArena } from "./wasm.js";

/** Rows per block of the blocked triangular solves. */
export const TRI_BLOCK = 64;

/**
 * Relative size (to the new variable's variance) below which a squared pivot is treated as zero: rounding
 * in ill-conditioned Gram matrices (e.g. converged gradient-flow noise covariances) reaches ~1e-7.
 */
export const PIVOT_TOL = 1e-6;

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
      t.fill(0, 0, j1 - j0);
      if (j0 > 0) rowDots(L.subarray(j0 * cap), j1 - j0, cap, j0, L.subarray(row, row + j0), t);
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
   * Appends a row given directly (entries 0..n of `row`): a lower-triangular matrix that is not a Cholesky
   * factor, such as the closed-form parameter side's coefficients B (gaussian-params.ts).
   */
  setRow(row: Float64Array): Float64Array {
    const n = this.n;
    const cap = this.capacity;
    if (n >= cap) throw new RangeError("GrowingCholesky: capacity exceeded");
    const out = this.L.subarray(n * cap, n * cap + n + 1);
    out.set(row.subarray(0, n + 1));
    this.n = n + 1;
    return out;
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

/** Most vectors orthonormalised by one appendOrthonormalPanel call (columns.ts), and rows of Z per chunk
 *  of its shared passes over the earlier columns (a multiple of four: the kernels' row blocks). */
export const PANEL = 12;
const CHUNK = 16;

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
  Z: DenseX,
  M: number,
  ncols: number,
  m: number,
  W: Float64Array,
  dots: Float64Array,
): void {
  appendOrthonormalPanel(Z, M, ncols, [m], W, dots);
}

/**
 * appendOrthonormalColumns for consecutive blocks of sizes[0], sizes[1], ... vectors (W holds them all, in
 * order), bit-identical to one call per block in turn, but with the passes over the earlier columns
 * [0, base) (base = ncols rounded down to a multiple of four) shared by all blocks, CHUNK rows of Z at a
 * time, so that each chunk is read from memory once per panel instead of once per block. Every dot and
 * every update runs in the same kernel with the same row blocks as in the per-block calls (rows [0, base)
 * in whole four-row blocks; the rest, from base, in a call of their own). Block t >= 1's dots with the
 * panel's earlier columns need its vectors as drawn, so they are kept in `orig` (>= (sum of sizes -
 * sizes[0]) M doubles, in the arena of Z) before the shared update. `dots`: >= (sum of sizes) ncols + 3 *
 * (sum of sizes).
 */
export function appendOrthonormalPanel(
  Z: DenseX,
  M: number,
  ncols: number,
  sizes: readonly number[],
  W: Float64Array,
  dots: Float64Array,
  orig?: Float64Array,
): void {
  const P = sizes.reduce((a, b) => a + b, 0);
  const base = ncols & ~3;
  const first = ncols - base;
  const starts = sizes.map((_, t) => sizes.slice(0, t).reduce((a, b) => a + b, 0));
  if (sizes.length > 1) orig!.set(W.subarray(sizes[0] * M, P * M));
  const drawn = (t: number) => (t === 0 ? W : orig!.subarray((starts[t] - sizes[0]) * M));
  // Shared passes: dots[v base + j] = Z_j . W_v for the old columns j < base, then W_v += the projections.
  const tail = dots.subarray(P * base);
  dots.fill(0, 0, P * base + sizes[0] * first);
  for (let j = 0; j < base; j += CHUNK) {
    const rows = Math.min(CHUNK, base - j);
    sizes.forEach((m, t) => {
      rowDotsBlock(Z.subarray(j * M), rows, M, M, m, drawn(t), M, dots.subarray(starts[t] * base + j), base);
    });
  }
  // Block 0's dots with the remaining old columns, before its vectors change.
  rowDotsBlock(Z.subarray(base * M), first, M, M, sizes[0], W, M, tail, first);
  for (let j = 0; j < P * base; j++) dots[j] = -dots[j] / M;
  for (let j = 0; j < base; j += CHUNK) {
    const rows = Math.min(CHUNK, base - j);
    sizes.forEach((m, t) => {
      const out = W.subarray(starts[t] * M);
      colDotsBlock(Z.subarray(j * M), rows, M, M, m, dots.subarray(starts[t] * base + j), base, out, M);
    });
  }
  sizes.forEach((m, t) => {
    // Block t against the columns from base: the rest of the old ones and the panel's earlier blocks.
    const n = ncols + starts[t];
    const count = n - base;
    const w0 = W.subarray(starts[t] * M);
    if (t > 0) {
      tail.fill(0, 0, m * count);
      rowDotsBlock(Z.subarray(base * M), count, M, M, m, drawn(t), M, tail, count);
    }
    for (let j = 0; j < m * count; j++) tail[j] = -tail[j] / M;
    colDotsBlock(Z.subarray(base * M), count, M, M, m, tail, count, w0, M);
    for (let u = 0; u < m; u++) {
      const w = w0.subarray(u * M, (u + 1) * M);
      for (let s = 0; s < u; s++) {
        const z = w0.subarray(s * M, (s + 1) * M);
        let d = 0;
        for (let i = 0; i < M; i++) d += w[i] * z[i];
        d /= M;
        for (let i = 0; i < M; i++) w[i] -= d * z[i];
      }
      let ss = 0;
      for (let i = 0; i < M; i++) ss += w[i] * w[i];
      const scale = Math.sqrt(M / ss);
      for (let i = 0; i < M; i++) w[i] *= scale;
      Z.set(w, (n + u) * M);
    }
  });
}
