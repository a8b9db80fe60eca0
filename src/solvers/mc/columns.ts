// Per-sample standard-normal inputs of one side of the Monte-Carlo solver, stored as the columns of a
// sample-major matrix (one column per Gaussian variable: teacher, label noise, w_k, dB_k, nu_k ...).
// With `orthogonal` on, each new column is orthonormalised against a column of ones and all earlier
// columns, so every empirical first and second moment of the inputs is exact (moment matching). Columns
// drawn together (`appendBlock`) are orthonormalised as a block: fewer passes over Z, same random draws.
import type { Rng } from "../../util/rng.js";
import { appendOrthonormalColumns } from "./linalg.js";
import { rowDotsBlock, type WasmArena } from "./wasm.js";

export class GaussianColumns {
  readonly Z: Float64Array;
  /** Number of columns filled; column 0 is all ones. */
  n = 1;
  private readonly v: Float64Array;
  private readonly dots: Float64Array;

  constructor(
    readonly M: number,
    readonly stride: number,
    private readonly rng: Rng,
    private readonly orthogonal: boolean,
    arena?: WasmArena,
    /** Most columns drawn by one appendBlock call. */
    readonly maxBlock = 1,
    /** Most linear combinations evaluated by one appendBlock call. */
    readonly maxCombos = 0,
  ) {
    if (orthogonal && M <= stride) {
      throw new RangeError(`orthogonal columns need more samples (${M}) than columns (${stride})`);
    }
    const f64 = (n: number) => (arena ? arena.f64(n) : new Float64Array(n));
    this.Z = f64(M * stride);
    for (let i = 0; i < M; i++) this.Z[i * stride] = 1;
    this.v = f64(M * (maxBlock + maxCombos));
    this.dots = f64(stride * (maxBlock + maxCombos));
  }

  /** Draws a new column of standard normals and returns its index. */
  append(): number {
    return this.appendBlock(1);
  }

  /**
   * Draws m new columns (the same draws as m append() calls) and returns the index of the first. Also sets
   * outs[r][i] = sum_j coefs[r][j] Z[i, j] over all columns including the new ones (coefs[r] has at least
   * n + m entries), computed within the orthonormalisation's pass over Z (rounding-level differences from
   * a separate pass).
   */
  appendBlock(m: number, coefs: readonly Float64Array[] = [], outs: readonly Float64Array[] = []): number {
    const col = this.n;
    const extra = coefs.length;
    if (col + m > this.stride) throw new RangeError("GaussianColumns: capacity exceeded");
    if (m > this.maxBlock || extra > this.maxCombos) throw new RangeError("GaussianColumns: block too large");
    const { M, Z, stride, v, dots } = this;
    for (let e = 0; e < m * M; e++) v[e] = this.rng.normal();
    v.fill(0, m * M, (m + extra) * M);
    for (let r = 0; r < extra; r++) dots.set(coefs[r].subarray(0, col), (m + r) * col);
    if (this.orthogonal) appendOrthonormalColumns(Z, M, stride, col, m, v, dots, extra);
    else {
      for (let t = 0; t < m; t++) for (let i = 0; i < M; i++) Z[i * stride + col + t] = v[t * M + i];
      rowDotsBlock(Z, M, stride, col, extra, dots.subarray(m * col), col, v.subarray(m * M), M);
    }
    for (let r = 0; r < extra; r++) {
      const out = outs[r];
      const c = coefs[r];
      for (let i = 0; i < M; i++) {
        let x = v[(m + r) * M + i];
        for (let t = 0; t < m; t++) x += c[col + t] * v[t * M + i];
        out[i] = x;
      }
    }
    this.n = col + m;
    return col;
  }

  /** Value of column `col` for sample i. */
  at(i: number, col: number): number {
    return this.Z[i * this.stride + col];
  }
}
