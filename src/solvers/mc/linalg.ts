// Small dense linear algebra for the Monte-Carlo DMFT solver: a lower-triangular Cholesky factor that
// grows by one row per time step (conditional Gaussian draws), and Gram–Schmidt orthonormalisation of a
// new column of per-sample Gaussian draws against the earlier ones (moment matching).

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

  constructor(readonly capacity: number) {
    this.L = new Float64Array(capacity * capacity);
  }

  /** Appends a variable with covariances `cov[0..n]` (cov[n] is its variance); returns its row of L. */
  addRow(cov: ArrayLike<number>): Float64Array {
    const n = this.n;
    const cap = this.capacity;
    if (n >= cap) throw new RangeError("GrowingCholesky: capacity exceeded");
    const L = this.L;
    const row = n * cap;
    let sq = 0;
    for (let j = 0; j < n; j++) {
      const pj = L[j * cap + j];
      let v = 0;
      if (pj > 0) {
        let s = cov[j];
        for (let l = 0; l < j; l++) s -= L[row + l] * L[j * cap + l];
        v = s / pj;
      }
      L[row + j] = v;
      sq += v * v;
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
}

/**
 * Orthonormalises `v` (length M) against columns 0..ncols-1 of the sample-major matrix Z (M rows, row
 * stride `stride`), whose columns satisfy sum_i Z[i,j] Z[i,l] = M delta_jl, and stores the result, with
 * sum_i v_i^2 = M, as column `ncols`. One classical Gram–Schmidt pass suffices: the columns are random
 * with M well above their number, so [Z, v] is well conditioned (orthogonality error ~1e-15).
 * `dots` is scratch of length >= ncols.
 */
export function appendOrthonormalColumn(
  Z: Float64Array,
  M: number,
  stride: number,
  ncols: number,
  v: Float64Array,
  dots: Float64Array,
): void {
  // Rows four at a time: each load of dots[j] serves four multiply-adds.
  dots.fill(0, 0, ncols);
  let i = 0;
  for (; i + 4 <= M; i += 4) {
    const r0 = i * stride;
    const r1 = r0 + stride;
    const r2 = r1 + stride;
    const r3 = r2 + stride;
    const v0 = v[i];
    const v1 = v[i + 1];
    const v2 = v[i + 2];
    const v3 = v[i + 3];
    for (let j = 0; j < ncols; j++) {
      dots[j] += Z[r0 + j] * v0 + Z[r1 + j] * v1 + Z[r2 + j] * v2 + Z[r3 + j] * v3;
    }
  }
  for (; i < M; i++) {
    const row = i * stride;
    for (let j = 0; j < ncols; j++) dots[j] += Z[row + j] * v[i];
  }
  for (let j = 0; j < ncols; j++) dots[j] /= M;
  for (i = 0; i + 4 <= M; i += 4) {
    const r0 = i * stride;
    const r1 = r0 + stride;
    const r2 = r1 + stride;
    const r3 = r2 + stride;
    let s0 = 0;
    let s1 = 0;
    let s2 = 0;
    let s3 = 0;
    for (let j = 0; j < ncols; j++) {
      const d = dots[j];
      s0 += Z[r0 + j] * d;
      s1 += Z[r1 + j] * d;
      s2 += Z[r2 + j] * d;
      s3 += Z[r3 + j] * d;
    }
    v[i] -= s0;
    v[i + 1] -= s1;
    v[i + 2] -= s2;
    v[i + 3] -= s3;
  }
  for (; i < M; i++) {
    const row = i * stride;
    let s = 0;
    for (let j = 0; j < ncols; j++) s += Z[row + j] * dots[j];
    v[i] -= s;
  }
  let ss = 0;
  for (let i = 0; i < M; i++) ss += v[i] * v[i];
  const scale = Math.sqrt(M / ss);
  for (let i = 0; i < M; i++) Z[i * stride + ncols] = v[i] * scale;
}
