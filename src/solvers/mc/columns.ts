// Per-sample standard-normal inputs of one side of the Monte-Carlo solver, stored column-major (one
// contiguous column of M samples per Gaussian variable: teacher, label noise, w_k, dB_k, nu_k ...).
// With `orthogonal` on, each column is orthonormalised against a column of ones and all earlier columns,
// so every empirical first and second moment of the inputs is exact (moment matching). The inputs do not
// depend on the dynamics, so all columns are drawn and orthonormalised when the object is built (blocks of
// BLOCK columns); the solver then takes them in order (`append`, `appendBlock`) and evaluates its draws as
// combinations of the columns taken so far. Column-major storage makes both the Gram–Schmidt passes and the
// draws stream whole columns (sequential reads) instead of reading a short piece of every sample's row.
// The columns are stored as floats (Z, a Float32Array): the solver's passes over them, the Gram–Schmidt's
// included, are bound by memory traffic, which floats halve (the kernels widen them to doubles; all
// arithmetic is in doubles, and each new column is orthonormalised in doubles against the stored floats
// before it is stored): moments exact to float rounding (~1e-8) instead of ~1e-15, far below the
// Monte-Carlo noise.
// Orthonormality needs more samples than columns orthonormalised together (with some slack, orthoBlock):
// when the columns outnumber that (long horizons, small groups), they are orthonormalised in consecutive
// blocks of `orthoBlock(M, width)` columns, each against the ones column and the earlier columns of its own
// block only (the basis is renewed; across blocks the columns are independent draws).
// `separate` columns (the Stein estimator's noise columns dB_k at long horizons, group.ts) are instead
// drawn from a stream of their own and orthonormalised among themselves, in blocks of their own, so that
// the other columns need only their own count in samples to be one block. They keep their indices (column,
// at, appendBlock's coefficients) but are stored after the others (`slot`), so that passes over the other
// columns taken (the draws w_k, Stein's dots) read only those, not the interleaved dB_k.
// Prefix property (checkpoints, issue 15): the first w columns of a wider object, same streams, are the
// same bits (draws in column order, block boundaries that do not move with the width, and Gram–Schmidt
// arithmetic per column that does not depend on the columns after it: the panels of appendOrthonormalPanel
// are bit-identical to one block at a time); test/checkpoint.test.ts checks it.
import type { Rng } from "../../util/rng.js";
import { appendOrthonormalPanel, PANEL } from "./linalg.js";
import { arenaDoubles, colDotsBlock, floatDoubles, MAX_BLOCK, type WasmArena } from "./wasm.js";

/** Columns orthonormalised per block of the up-front Gram–Schmidt (up to PANEL of them per call). */
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

/** Stored columns of a GaussianColumns (see its constructor's `prefix`). */
export interface InputPrefix {
  /** The stored columns, in storage order: `others` other columns, then `separate` separate ones. */
  Z: Float32Array;
  others: number;
  separate: number;
}

export class GaussianColumns {
  /** Doubles a GaussianColumns(M, width, ..., maxCombos) takes from its WasmArena. */
  static doubles(M: number, width: number, maxCombos: number): number {
    const scratch = Math.max(PANEL, maxCombos);
    return arenaDoubles(floatDoubles(M * width), M * scratch, M * PANEL, width * scratch + 3 * PANEL);
  }

  /** Column j is Z[j M .. j M + M - 1] (floats, see the header). */
  readonly Z: Float32Array;
  /** Number of columns taken; column 0 is all ones. */
  n = 1;
  private readonly v: Float64Array;
  /** The drawn vectors of a Gram–Schmidt panel (appendOrthonormalPanel). */
  private readonly orig: Float64Array;
  private readonly dots: Float64Array;
  /** With `separate` columns: the stored position of column j, the column stored at position p, the
   *  number of other columns (stored first) and apartBefore[n] = separate columns among 0..n-1 (so that
   *  `n` alone, e.g. set by a checkpoint restore, says what is taken). */
  private readonly pos: Int32Array | null = null;
  private readonly stored: Int32Array | null = null;
  private readonly others: number;
  private readonly apartBefore: Int32Array | null = null;

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
    /**
     * The stored columns of a narrower object of the same streams (a checkpoint's, `stored()`): by the
     * prefix property its first `others` other columns and its `separate` separate ones are the first of
     * this object's, so they are copied (their draws skipped) instead of orthonormalised again.
     */
    prefix?: InputPrefix,
  ) {
    const S = separate.length;
    const F = width - S;
    this.others = F;
    const block = orthoBlock(M, F);
    if (orthogonal && block < 2) throw new RangeError(`orthogonal columns need more samples (${M})`);
    const f64 = (n: number) => (arena ? arena.f64(n) : new Float64Array(n));
    const Z = arena ? arena.f32(M * width) : new Float32Array(M * width);
    this.Z = Z;
    this.v = f64(M * Math.max(PANEL, maxCombos));
    this.orig = f64(M * PANEL);
    this.dots = f64(width * Math.max(PANEL, maxCombos) + 3 * PANEL);
    Z.fill(1, 0, M);
    // The same draws, column after column, as drawing each column when it is first needed. With
    // `separate` columns, they are stored after the others (the ones column counts in their blocks, as it
    // is centred out of them). Their stream is their own, so their values do not depend on how many other
    // columns there are.
    const have = prefix ? { others: prefix.others, separate: prefix.separate, Z: prefix.Z } : undefined;
    this.fill(rng, orthogonal, 0, F, block, have && { n: have.others, Z: have.Z });
    if (S === 0) return;
    this.fill(
      separateRng,
      orthogonal,
      F,
      width,
      Math.max(1, orthoBlock(M, S + 1) - 1),
      have && { n: have.separate, Z: have.Z.subarray(have.others * M) },
    );
    const apart = new Set(separate);
    const stored = Array.from({ length: width }, (_, j) => j).filter((j) => !apart.has(j));
    stored.push(...separate);
    this.stored = Int32Array.from(stored);
    this.pos = new Int32Array(width);
    stored.forEach((col, p) => {
      this.pos![col] = p;
    });
    this.apartBefore = new Int32Array(width + 1);
    for (let j = 0; j < width; j++) this.apartBefore[j + 1] = this.apartBefore[j] + (apart.has(j) ? 1 : 0);
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
    /** Columns lo..lo+n-1 as stored (Z: column lo first), see the constructor's `prefix`. */
    prefix?: { n: number; Z: Float32Array },
  ): void {
    const { M, Z, v, orig, dots } = this;
    for (let col = Math.max(lo, 1); col < hi; ) {
      const start = col - ((col - lo) % block);
      // A panel: consecutive Gram–Schmidt blocks of BLOCK columns (fewer at the end of an orthonormal block
      // or of the range) of the same orthonormal block, PANEL columns at most; same result as one by one.
      const sizes: number[] = [];
      let end = col;
      while (end < hi && end < start + block && (end === col || end - col + BLOCK <= PANEL)) {
        const m = Math.min(BLOCK, hi - end, start + block - end);
        sizes.push(m);
        end += m;
      }
      const P = end - col;
      rng.fillNormal(v.subarray(0, P * M));
      // A panel inside the prefix: its draws are skipped (drawn above, so the stream moves on as it would),
      // its columns copied. (A panel across the prefix's end is recomputed: the same bits.)
      if (prefix && end - lo <= prefix.n) Z.set(prefix.Z.subarray((col - lo) * M, (end - lo) * M), col * M);
      else if (!orthogonal) Z.set(v.subarray(0, P * M), col * M);
      else if (start === 0) appendOrthonormalPanel(Z, M, col, sizes, v, dots, orig);
      else {
        // A renewed basis: centre (orthogonal to the ones column), then Gram–Schmidt within the block.
        for (let t = 0; t < P; t++) centre(v.subarray(t * M, (t + 1) * M));
        appendOrthonormalPanel(Z.subarray(start * M), M, col - start, sizes, v, dots, orig);
      }
      col = end;
    }
  }

  /** All columns as stored (for a checkpoint: the prefix of a wider object, see the constructor). */
  storedColumns(): InputPrefix {
    const S = this.width - this.others;
    return { Z: this.Z.subarray(0, this.M * this.width), others: this.others, separate: S };
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
    const { M, v, pos } = this;
    if (extra > 0) {
      v.fill(0, 0, extra * M);
      if (!pos) this.combine(0, n, coefs, (p) => p);
      else {
        const stored = this.stored!;
        const s = this.apartBefore![n];
        const f = n - s;
        this.combine(0, f, coefs, (p) => stored[p]);
        // The separate columns only where some coefficient on them is nonzero (never for the draws w_k).
        const F = this.others;
        if (coefs.some((c) => stored.subarray(F, F + s).some((j) => c[j] !== 0)))
          this.combine(F, s, coefs, (p) => stored[F + p]);
      }
      for (let r = 0; r < extra; r++) outs[r].set(v.subarray(r * M, (r + 1) * M));
    }
    this.n = n;
    return col;
  }

  /** v[r] += sum_p coefs[r][col(p)] Z_stored(from + p) over the `count` stored columns from `from`. */
  private combine(
    from: number,
    count: number,
    coefs: readonly Float64Array[],
    col: (p: number) => number,
  ): void {
    const { M, Z, v, dots } = this;
    const extra = coefs.length;
    for (let r = 0; r < extra; r++) for (let p = 0; p < count; p++) dots[r * count + p] = coefs[r][col(p)];
    colDotsBlock(Z.subarray(from * M), count, M, M, extra, dots, count, v, M);
  }

  /** Where column `col` is stored: Z[slot M .. slot M + M - 1] (columns taken in order, except
   *  `separate` columns, which come after all others). */
  slot(col: number): number {
    return this.pos ? this.pos[col] : col;
  }

  /** Column `col` (a view: samples 0..M-1). */
  column(col: number): Float32Array {
    const p = this.slot(col);
    return this.Z.subarray(p * this.M, (p + 1) * this.M);
  }

  /** Value of column `col` for sample i. */
  at(i: number, col: number): number {
    return this.Z[this.slot(col) * this.M + i];
  }
}

/** x -= mean(x). */
function centre(x: Float64Array): void {
  let sum = 0;
  for (let i = 0; i < x.length; i++) sum += x[i];
  const mean = sum / x.length;
  for (let i = 0; i < x.length; i++) x[i] -= mean;
}
