// Per-sample standard-normal inputs of one side of the Monte-Carlo solver, stored as the columns of a
// sample-major matrix (one column per Gaussian variable: teacher, label noise, w_k, dB_k, nu_k ...).
// With `orthogonal` on, each new column is orthonormalised against a column of ones and all earlier
// columns, so every empirical first and second moment of the inputs is exact (moment matching).
import type { Rng } from "../../util/rng.js";
import { appendOrthonormalColumn } from "./linalg.js";
import type { WasmArena } from "./wasm.js";

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
  ) {
    if (orthogonal && M <= stride) {
      throw new RangeError(`orthogonal columns need more samples (${M}) than columns (${stride})`);
    }
    const f64 = (n: number) => (arena ? arena.f64(n) : new Float64Array(n));
    this.Z = f64(M * stride);
    for (let i = 0; i < M; i++) this.Z[i * stride] = 1;
    this.v = f64(M);
    this.dots = f64(stride);
  }

  /** Draws a new column of standard normals and returns its index. */
  append(): number {
    const col = this.n;
    if (col >= this.stride) throw new RangeError("GaussianColumns: capacity exceeded");
    const { M, Z, stride, v } = this;
    for (let i = 0; i < M; i++) v[i] = this.rng.normal();
    if (this.orthogonal) appendOrthonormalColumn(Z, M, stride, col, v, this.dots);
    else for (let i = 0; i < M; i++) Z[i * stride + col] = v[i];
    this.n = col + 1;
    return col;
  }

  /** Value of column `col` for sample i. */
  at(i: number, col: number): number {
    return this.Z[i * this.stride + col];
  }
}
