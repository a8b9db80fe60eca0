// Per-sample standard-normal inputs of one side of the Monte-Carlo solver, stored column-major (one
// contiguous column of M samples per Gaussian variable: teacher, label noise, w_k, dB_k, nu_k ...).
// With `orthogonal` on, each column is orthonormalised against a column of ones and all earlier columns,
// so every empirical first and second moment of the inputs is exact (moment matching). The inputs do not
// depend on the dynamics, so all columns are drawn and orthonormalised when the object is built (blocks of
// BLOCK columns); the solver then takes them in order (`append`, `appendBlock`) and evaluates its draws as
// combinations of the columns taken so far. Column-major storage makes both the Gram–Schmidt passes and the
// draws stream whole columns (sequential reads) instead of reading a short piece of every sample's row.
import type { Rng } from "../../util/rng.js";
import { appendOrthonormalColumns } from "./linalg.js";
import { arenaDoubles, colDotsBlock, type WasmArena } from "./wasm.js";
import { MAX_BLOCK } from "./wasmKernels.js";

/** Columns orthonormalised per pass of the up-front Gram–Schmidt. */
const BLOCK = MAX_BLOCK;

export class GaussianColumns {
  /** Doubles a GaussianColumns(M, width, ..., maxCombos) takes from its WasmArena. */
  static doubles(M: number, width: number, maxCombos: number): number {
    const scratch = Math.max(BLOCK, maxCombos);
    return arenaDoubles(M * width, M * scratch, width * scratch);
  }

  /** Column j is Z[j M .. j M + M - 1]. */
  readonly Z: Float64Array;
  /** Number of columns taken; column 0 is all ones. */
  n = 1;
  private readonly v: Float64Array;
  private readonly dots: Float64Array;

  constructor(
    readonly M: number,
    /** Number of columns. */
    readonly width: number,
    rng: Pick<Rng, "fillNormal">,
    orthogonal: boolean,
    arena?: WasmArena,
    /** Most linear combinations evaluated by one appendBlock call. */
    readonly maxCombos = 0,
  ) {
    if (orthogonal && M <= width) {
      throw new RangeError(`orthogonal columns need more samples (${M}) than columns (${width})`);
    }
    const f64 = (n: number) => (arena ? arena.f64(n) : new Float64Array(n));
    const Z = f64(M * width);
    this.Z = Z;
    this.v = f64(M * Math.max(BLOCK, maxCombos));
    this.dots = f64(width * Math.max(BLOCK, maxCombos));
    const { v, dots } = this;
    Z.fill(1, 0, M);
    // The same draws, column after column, as drawing each column when it is first needed.
    for (let col = 1; col < width; col += BLOCK) {
      const m = Math.min(BLOCK, width - col);
      rng.fillNormal(v.subarray(0, m * M));
      if (orthogonal) appendOrthonormalColumns(Z, M, col, m, v, dots);
      else Z.set(v.subarray(0, m * M), col * M);
    }
  }

  /** Takes the next column and returns its index. */
  append(): number {
    return this.appendBlock(1);
  }

  /**
   * Takes the next m columns and returns the index of the first. Also sets outs[r][i] = sum_j coefs[r][j]
   * Z[j, i] over all columns taken, including the new ones (coefs[r] has at least n + m entries).
   */
  appendBlock(m: number, coefs: readonly Float64Array[] = [], outs: readonly Float64Array[] = []): number {
    const col = this.n;
    const n = col + m;
    const extra = coefs.length;
    if (n > this.width) throw new RangeError("GaussianColumns: capacity exceeded");
    if (extra > this.maxCombos) throw new RangeError("GaussianColumns: too many combinations");
    const { M, Z, v, dots } = this;
    if (extra > 0) {
      v.fill(0, 0, extra * M);
      for (let r = 0; r < extra; r++) dots.set(coefs[r].subarray(0, n), r * n);
      colDotsBlock(Z, n, M, M, extra, dots, n, v, M);
      for (let r = 0; r < extra; r++) outs[r].set(v.subarray(r * M, (r + 1) * M));
    }
    this.n = n;
    return col;
  }

  /** Column `col` (a view: samples 0..M-1). */
  column(col: number): Float64Array {
    return this.Z.subarray(col * this.M, (col + 1) * this.M);
  }

  /** Value of column `col` for sample i. */
  at(i: number, col: number): number {
    return this.Z[col * this.M + i];
  }
}
