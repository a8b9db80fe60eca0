// Per-sample standard-normal inputs of one side of the Monte-Carlo solver, stored as the columns of a
// sample-major matrix (one column per Gaussian variable: teacher, label noise, w_k, dB_k, nu_k ...).
// With `orthogonal` on, each column is orthonormalised against a column of ones and all earlier columns,
// so every empirical first and second moment of the inputs is exact (moment matching). The inputs do not
// depend on the dynamics, so all columns are drawn and orthonormalised when the object is built (blocks of
// BLOCK columns: few passes over Z while it is hot in cache); the solver then takes them in order
// (`append`, `appendBlock`) and evaluates its draws as combinations of the columns taken so far.
import type { Rng } from "../../util/rng.js";
import { appendOrthonormalColumns } from "./linalg.js";
import { rowDotsBlock, type WasmArena } from "./wasm.js";
import { MAX_BLOCK } from "./wasmKernels.js";

/** Columns orthonormalised per pass of the up-front Gram–Schmidt. */
export const BLOCK = MAX_BLOCK;

export class GaussianColumns {
  readonly Z: Float64Array;
  /** Number of columns taken; column 0 is all ones. */
  n = 1;
  private readonly v: Float64Array;
  private readonly dots: Float64Array;

  constructor(
    readonly M: number,
    readonly stride: number,
    rng: Rng,
    orthogonal: boolean,
    arena?: WasmArena,
    /** Most linear combinations evaluated by one appendBlock call. */
    readonly maxCombos = 0,
  ) {
    if (orthogonal && M <= stride) {
      throw new RangeError(`orthogonal columns need more samples (${M}) than columns (${stride})`);
    }
    const f64 = (n: number) => (arena ? arena.f64(n) : new Float64Array(n));
    const Z = f64(M * stride);
    this.Z = Z;
    this.v = f64(M * Math.max(BLOCK, maxCombos));
    this.dots = f64(stride * Math.max(BLOCK, maxCombos));
    const { v, dots } = this;
    for (let i = 0; i < M; i++) Z[i * stride] = 1;
    // The same draws, column after column, as drawing each column when it is first needed.
    for (let col = 1; col < stride; col += BLOCK) {
      const m = Math.min(BLOCK, stride - col);
      rng.fillNormal(v.subarray(0, m * M));
      if (orthogonal) appendOrthonormalColumns(Z, M, stride, col, m, v, dots);
      else for (let t = 0; t < m; t++) for (let i = 0; i < M; i++) Z[i * stride + col + t] = v[t * M + i];
    }
  }

  /** Takes the next column and returns its index. */
  append(): number {
    return this.appendBlock(1);
  }

  /**
   * Takes the next m columns and returns the index of the first. Also sets outs[r][i] = sum_j coefs[r][j]
   * Z[i, j] over all columns taken, including the new ones (coefs[r] has at least n + m entries).
   */
  appendBlock(m: number, coefs: readonly Float64Array[] = [], outs: readonly Float64Array[] = []): number {
    const col = this.n;
    const n = col + m;
    const extra = coefs.length;
    if (n > this.stride) throw new RangeError("GaussianColumns: capacity exceeded");
    if (extra > this.maxCombos) throw new RangeError("GaussianColumns: too many combinations");
    const { M, Z, stride, v, dots } = this;
    if (extra > 0) {
      v.fill(0, 0, extra * M);
      for (let r = 0; r < extra; r++) dots.set(coefs[r].subarray(0, n), r * n);
      rowDotsBlock(Z, M, stride, n, extra, dots, n, v, M);
      for (let r = 0; r < extra; r++) outs[r].set(v.subarray(r * M, (r + 1) * M));
    }
    this.n = n;
    return col;
  }

  /** Value of column `col` for sample i. */
  at(i: number, col: number): number {
    return this.Z[i * this.stride + col];
  }
}
