// Per-sample standard-normal inputs of one side of the Monte-Carlo solver, stored column-major (one
// contiguous column of M samples per Gaussian variable: teacher, label noise, w_k, dB_k, nu_k ...).
// With `orthogonal` on, each column is orthonormalised against a column of ones and all earlier columns,
// so every empirical first and second moment of the inputs is exact (moment matching). The inputs do not
// depend on the dynamics, so all columns are drawn and orthonormalised when the object is built (blocks of
// BLOCK columns); the solver then takes them in order (`append`, `appendBlock`) and evaluates its draws as
// combinations of the columns taken so far. Column-major storage makes both the Gram–Schmidt passes and the
// draws stream whole columns (sequential reads) instead of reading a short piece of every sample's row.
// Orthonormality needs more samples than columns orthonormalised together (with some slack, orthoBlock):
// when the columns outnumber that (long horizons, small groups), they are orthonormalised in consecutive
// blocks of `orthoBlock(M, width)` columns, each against the ones column and the earlier columns of its own
// block only (the basis is renewed; across blocks the columns are independent draws).
// `separate` columns (the Stein estimator's noise columns dB_k at long horizons, group.ts) are instead
// drawn from a stream of their own and orthonormalised among themselves, in blocks of their own, so that
// the other columns need only their own count in samples to be one block; they keep their indices.
// Prefix property (checkpoints, issue 15): the first w columns of a wider object, same streams, are the
// same bits (draws in column order, block boundaries that do not move with the width, and Gram–Schmidt
// arithmetic per column that does not depend on the columns after it); test/checkpoint.test.ts checks it.
import type { Rng } from "../../util/rng.js";
import { appendOrthonormalColumns } from "./linalg.js";
import { arenaDoubles, colDotsBlock, MAX_BLOCK, type WasmArena } from "./wasm.js";

/** Columns orthonormalised per pass of the up-front Gram–Schmidt. */
const BLOCK = MAX_BLOCK;

/** Samples beyond the columns of one orthonormal block: keeps one Gram–Schmidt pass accurate (~1e-12). */
const SLACK = 64;

/**
 * Columns orthonormalised together (the ones column included): all `width` (one block: exact moments of
 * every input) when M > 2 width or M >= width + SLACK, else the widest block those rules allow.
 */
export function orthoBlock(M: number, width: number): number {
  return Math.min(width, Math.max(Math.floor((M - 1) / 2), M - SLACK));
}

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
    /** Columns orthonormalised separately (increasing; not column 0), drawn from `separateRng`. */
    separate: readonly number[] = [],
    separateRng: Pick<Rng, "fillNormal"> = rng,
  ) {
    const S = separate.length;
    const F = width - S;
    const block = orthoBlock(M, F);
    if (orthogonal && block < 2) throw new RangeError(`orthogonal columns need more samples (${M})`);
    const f64 = (n: number) => (arena ? arena.f64(n) : new Float64Array(n));
    const Z = f64(M * width);
    this.Z = Z;
    this.v = f64(M * Math.max(BLOCK, maxCombos));
    this.dots = f64(width * Math.max(BLOCK, maxCombos));
    Z.fill(1, 0, M);
    // The same draws, column after column, as drawing each column when it is first needed. With
    // `separate` columns, they are stored after the others here (the ones column counts in their blocks,
    // as it is centred out of them) and moved to their places at the end. Their stream is their own, so
    // their values do not depend on how many other columns there are.
    this.fill(rng, orthogonal, 0, F, block);
    if (S === 0) return;
    this.fill(separateRng, orthogonal, F, width, Math.max(1, orthoBlock(M, S + 1) - 1));
    const apart = new Set(separate);
    const stored = Array.from({ length: width }, (_, j) => j).filter((j) => !apart.has(j));
    stored.push(...separate);
    this.permute(stored);
  }

  /**
   * Draws columns [lo, hi) (never column 0) and orthonormalises them in blocks of `block` columns from lo:
   * the block starting at column 0 against the columns before, every other block (a renewed basis) against
   * the ones column and its own earlier columns only.
   */
  private fill(
    rng: Pick<Rng, "fillNormal">,
    orthogonal: boolean,
    lo: number,
    hi: number,
    block: number,
  ): void {
    const { M, Z, v, dots } = this;
    for (let col = Math.max(lo, 1); col < hi; ) {
      const start = col - ((col - lo) % block);
      const m = Math.min(BLOCK, hi - col, start + block - col);
      rng.fillNormal(v.subarray(0, m * M));
      if (!orthogonal) Z.set(v.subarray(0, m * M), col * M);
      else if (start === 0) appendOrthonormalColumns(Z, M, col, m, v, dots);
      else {
        // A renewed basis: centre (orthogonal to the ones column), then Gram–Schmidt within the block.
        for (let t = 0; t < m; t++) centre(v.subarray(t * M, (t + 1) * M));
        appendOrthonormalColumns(Z.subarray(start * M), M, col - start, m, v, dots);
      }
      col += m;
    }
  }

  /** Moves the column stored at p to column stored[p], for every p (in place, one cycle at a time). */
  private permute(stored: readonly number[]): void {
    const { M, Z, v } = this;
    const at = new Int32Array(stored.length);
    stored.forEach((col, p) => {
      at[col] = p;
    });
    const done = new Uint8Array(stored.length);
    for (let q0 = 0; q0 < stored.length; q0++) {
      if (done[q0] || at[q0] === q0) continue;
      v.set(this.column(q0));
      let q = q0;
      while (at[q] !== q0) {
        Z.copyWithin(q * M, at[q] * M, at[q] * M + M);
        done[q] = 1;
        q = at[q];
      }
      Z.set(v.subarray(0, M), q * M);
      done[q] = 1;
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

/** x -= mean(x). */
function centre(x: Float64Array): void {
  let sum = 0;
  for (let i = 0; i < x.length; i++) sum += x[i];
  const mean = sum / x.length;
  for (let i = 0; i < x.length; i++) x[i] -= mean;
}
