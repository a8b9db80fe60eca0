// The kernel library's WebAssembly SIMD kernels (src/kernels/) against their JS reference loops on random
// inputs, including sample counts that are not a multiple of the lane width and blocks of zero c (skipped
// rows); forcing the JS kernels; and the record of which kernels ran.
import { describe, expect, it } from "vitest";
import { colDotsJs, rowDotsJs, tangentRowsJs } from "../src/kernels/js.js";
import { takeKernelUsage, useKernels } from "../src/kernels/loader.js";
import { appendOrthonormalColumns } from "../src/solvers/mc/linalg.js";
import { predictionResponseRow } from "../src/solvers/mc/responses.js";
import {
  arenaDoubles,
  colDots,
  colDotsBlock,
  rowDots,
  rowDotsBlock,
  sameArena,
  TANGENT_LANES,
  tangentRowSimd,
  WasmArena,
  wasmArrays,
} from "../src/solvers/mc/wasm.js";
import { Rng } from "../src/util/rng.js";

function maxRelDiff(a: Float64Array, b: Float64Array): number {
  let scale = 0;
  let diff = 0;
  for (let i = 0; i < a.length; i++) {
    scale = Math.max(scale, Math.abs(b[i]));
    diff = Math.max(diff, Math.abs(a[i] - b[i]));
  }
  return diff / scale;
}

/** rowDotsBlock (out = V + X C_t per vector t) against the JS loop: the largest relative difference. */
function rowDotsBlockVsJs(
  X: Float64Array | Float32Array,
  V: Float64Array,
  C: Float64Array,
  out: Float64Array,
  M: number,
  stride: number,
  ncols: number,
  m: number,
): number {
  out.set(V);
  const ref = Float64Array.from(V);
  for (let t = 0; t < m; t++) {
    const c = C.subarray(t * stride, t * stride + ncols);
    rowDotsJs(0, X, M, stride, ncols, c, ref.subarray(t * M, (t + 1) * M), "add");
  }
  rowDotsBlock(X, M, stride, ncols, m, C, stride, out, M);
  return maxRelDiff(out, ref);
}

/** Random tangent inputs; c is zero on whole blocks for some steps (as in sgd-limit without jumps). */
function tangentInputs(M: number, N1: number, seed: number, zeroProb = 0.2) {
  const rng = new Rng(seed, 7);
  const Cc = new Float64Array(M * N1);
  const dl = new Float64Array(M);
  const Rt = new Float64Array(N1 * N1);
  for (let i = 0; i < M; i++) {
    dl[i] = rng.uniform();
    for (let s = 0; s < N1; s++)
      Cc[i * N1 + s] = s % 5 === 3 || rng.uniform() < zeroProb ? 0 : -0.1 * rng.normal();
  }
  for (let s = 0; s < N1; s++) for (let a = s + 1; a < N1; a++) Rt[s * N1 + a] = 0.5 * rng.normal();
  return { Cc, dl, Rt };
}

describe("tangent kernel (predictionResponseRow)", () => {
  const N1 = 23;
  // Every size has at least one whole SIMD block (else both sides would be the same JS loop).
  for (const M of [TANGENT_LANES * 9, TANGENT_LANES * 9 + 5, 3 * TANGENT_LANES + 3, TANGENT_LANES + 1]) {
    it(`equals the JS loop bit for bit, M = ${M}, copied and in place`, () => {
      const { Cc, dl, Rt } = tangentInputs(M, N1, M);
      const [wCc, wdl, wRt, wP, wOut] = wasmArrays(M * N1, M, N1 * N1, TANGENT_LANES * (N1 + 1), N1);
      wCc.set(Cc);
      wdl.set(dl);
      wRt.set(Rt);
      const ref = new Float64Array(N1);
      const copied = new Float64Array(N1);
      const P = new Float64Array(4 * (N1 + 1));
      for (const k of [0, 1, 2, 7, N1 - 1]) {
        ref.fill(0);
        tangentRowsJs(0, { k, M, N1, Cc, dl, Rt, P, out: ref });
        predictionResponseRow({ k, M, N1, Cc, dl, Rt, P, out: copied });
        predictionResponseRow({ k, M, N1, Cc: wCc, dl: wdl, Rt: wRt, P: wP, out: wOut });
        expect(Array.from(copied.subarray(0, k + 1))).toEqual(Array.from(ref.subarray(0, k + 1)));
        expect(Array.from(wOut.subarray(0, k + 1))).toEqual(Array.from(ref.subarray(0, k + 1)));
      }
      // The SIMD path really ran on whole blocks, in place and copied.
      const blocks = TANGENT_LANES * Math.floor(M / TANGENT_LANES);
      wOut.fill(0);
      expect(tangentRowSimd({ k: 5, M, N1, Cc: wCc, dl: wdl, Rt: wRt, P: wP, out: wOut })).toBe(blocks);
      expect(tangentRowSimd({ k: 5, M, N1, Cc, dl, Rt, P, out: copied.fill(0) })).toBe(blocks);
      expect(blocks).toBeGreaterThan(0);
    });
  }
});

describe("tangent kernel: per-sample arithmetic independent of blocks and row pairing", () => {
  const N1 = 23;
  const M = 2 * TANGENT_LANES + 3;
  for (const zeroProb of [0, 0.2, 0.7]) {
    it(`one-hot dl gives each sample's P[s] bit for bit on every path, zero c with p = ${zeroProb}`, () => {
      const { Cc, Rt } = tangentInputs(M, N1, 11, zeroProb);
      const [wCc, wdl, wRt, wP, wOut] = wasmArrays(M * N1, M, N1 * N1, TANGENT_LANES * (N1 + 1), N1);
      wCc.set(Cc);
      wRt.set(Rt);
      const P = new Float64Array(4 * (N1 + 1));
      const [alone, blocksJs] = [new Float64Array(N1), new Float64Array(N1)];
      for (const k of [1, 2, 9, N1 - 1]) {
        let nonzero = 0;
        for (let i = 0; i < M; i++) {
          wdl.fill(0)[i] = 1;
          // WebAssembly blocks (samples < 2 TANGENT_LANES, rows paired where possible), else the JS tail.
          predictionResponseRow({ k, M, N1, Cc: wCc, dl: wdl, Rt: wRt, P: wP, out: wOut });
          // JS blocks of four samples (samples < 16), else the JS tail.
          tangentRowsJs(0, { k, M, N1, Cc, dl: wdl, Rt, P, out: blocksJs.fill(0) });
          // The sample alone (the single-sample loop).
          const own = Cc.subarray(i * N1, (i + 1) * N1);
          tangentRowsJs(0, { k, M: 1, N1, Cc: own, dl: Float64Array.of(1), Rt, P, out: alone.fill(0) });
          expect(Array.from(wOut.subarray(0, k + 1))).toEqual(Array.from(alone.subarray(0, k + 1)));
          expect(Array.from(blocksJs.subarray(0, k + 1))).toEqual(Array.from(alone.subarray(0, k + 1)));
          nonzero += alone.subarray(0, k).filter((x) => x !== 0).length;
        }
        expect(nonzero).toBeGreaterThan(0); // not a trivial check
      }
    });
  }
});

describe("row and column dot kernels (Gram-Schmidt, moments)", () => {
  // Each M has whole four-row SIMD blocks; 7 = one block and a three-row JS tail.
  for (const [M, ncols] of [
    [203, 17],
    [200, 16],
    [61, 1],
    [7, 2],
  ]) {
    const stride = ncols + 3;
    const setup = () => {
      const rng = new Rng(M, ncols);
      const arena = new WasmArena(arenaDoubles(M * stride, M, stride, M));
      const [X, v, c, out] = [arena.f64(M * stride), arena.f64(M), arena.f64(stride), arena.f64(M)];
      for (let i = 0; i < M * stride; i++) X[i] = rng.normal();
      for (let i = 0; i < M; i++) v[i] = rng.normal();
      for (let j = 0; j < stride; j++) c[j] = rng.normal();
      return { X, v, c, out };
    };

    it(`colDots equals the JS loop bit for bit, M = ${M}, ${ncols} columns`, () => {
      const { X, v, c } = setup();
      const ref = Float64Array.from(c);
      colDotsJs(0, X, M, stride, ncols, v, ref);
      colDots(X, M, stride, ncols, v, c);
      expect(Array.from(c)).toEqual(Array.from(ref));
    });

    it(`rowDots matches the JS loop to 1e-12, M = ${M}, ${ncols} columns`, () => {
      const { X, v, c, out } = setup();
      out.set(v);
      const ref = Float64Array.from(v);
      rowDotsJs(0, X, M, stride, ncols, c, ref, "add");
      rowDots(X, M, stride, ncols, c, out);
      expect(maxRelDiff(out, ref)).toBeLessThan(1e-12);
    });

    it(`appendOrthonormalColumns (one column) in an arena matches plain arrays to 1e-12, M = ${M}`, () => {
      // X read column-major: column j is X[j M .. j M + M - 1].
      const { X: Z, v, c: dots } = setup();
      const [Zr, vr, dr] = [Float64Array.from(Z), Float64Array.from(v), new Float64Array(stride)];
      appendOrthonormalColumns(Zr, M, ncols, 1, vr, dr);
      appendOrthonormalColumns(Z, M, ncols, 1, v, dots);
      const col = (A: Float64Array) => A.subarray(ncols * M, (ncols + 1) * M);
      expect(maxRelDiff(col(Z), col(Zr))).toBeLessThan(1e-12);
    });
  }

  for (const [M, ncols, m] of [
    [203, 17, 2],
    [200, 16, 3],
    [61, 1, 5],
    [11, 2, 2],
  ]) {
    const stride = ncols + m + 1;
    const setup = () => {
      const rng = new Rng(M, ncols, m);
      const arena = new WasmArena(arenaDoubles(M * stride, m * M, m * stride, m * M));
      const [X, V, C, out] = [
        arena.f64(M * stride),
        arena.f64(m * M),
        arena.f64(m * stride),
        arena.f64(m * M),
      ];
      for (let i = 0; i < M * stride; i++) X[i] = rng.normal();
      for (let i = 0; i < m * M; i++) V[i] = rng.normal();
      for (let j = 0; j < m * stride; j++) C[j] = rng.normal();
      return { X, V, C, out };
    };

    it(`colDotsBlock equals colDots per vector bit for bit, M = ${M}, ${ncols} columns, ${m} vectors`, () => {
      const { X, V, C } = setup();
      const ref = Float64Array.from(C);
      for (let t = 0; t < m; t++) {
        colDots(X, M, stride, ncols, V.subarray(t * M, (t + 1) * M), ref.subarray(t * stride));
      }
      colDotsBlock(X, M, stride, ncols, m, V, M, C, stride);
      expect(Array.from(C)).toEqual(Array.from(ref));
    });

    it(`rowDotsBlock matches the JS loop to 1e-12, M = ${M}, ${ncols} columns, ${m} vectors`, () => {
      const { X, V, C, out } = setup();
      expect(rowDotsBlockVsJs(X, V, C, out, M, stride, ncols, m)).toBeLessThan(1e-12);
    });

    it(`a block of ${m} columns equals ${m} one-column appends to 1e-12, M = ${M}`, () => {
      const { X: Z, V, C: dots, out: scratch } = setup();
      expect(M).toBeGreaterThan(stride); // enough samples for orthonormal columns
      // Z (column-major): a column of ones and ncols - 1 orthonormalised random columns, as GaussianColumns
      // keeps it.
      const rng = new Rng(M, 3);
      Z.fill(1, 0, M);
      for (let j = 1; j < ncols; j++) {
        for (let i = 0; i < M; i++) scratch[i] = rng.normal();
        appendOrthonormalColumns(Z, M, j, 1, scratch, dots);
      }
      const [Zr, Vr, dr] = [Float64Array.from(Z), Float64Array.from(V), new Float64Array(stride)];
      for (let t = 0; t < m; t++) appendOrthonormalColumns(Zr, M, ncols + t, 1, Vr.subarray(t * M), dr);
      appendOrthonormalColumns(Z, M, ncols, m, V, dots);
      const col = (A: Float64Array, j: number) => A.subarray(j * M, (j + 1) * M);
      for (let t = 0; t < m; t++)
        expect(maxRelDiff(col(Z, ncols + t), col(Zr, ncols + t))).toBeLessThan(1e-12);
      // Moment matching: all columns orthonormal (sum_i z_j z_l = M delta_jl).
      let worst = 0;
      for (let j = 0; j < ncols + m; j++) {
        for (let l = 0; l <= j; l++) {
          let d = 0;
          for (let i = 0; i < M; i++) d += Z[j * M + i] * Z[l * M + i];
          worst = Math.max(worst, Math.abs(d / M - (j === l ? 1 : 0)));
        }
      }
      expect(worst).toBeLessThan(1e-12);
    });
  }

  // X of floats (the solver's stored inputs and histories): the kernels widen each float to a double, so
  // they compute exactly what the JS loops compute on the same floats.
  for (const [M, ncols, m] of [
    [203, 17, 1],
    [200, 16, 3],
    [61, 1, 2],
    [7, 5, 1],
  ]) {
    const stride = ncols + 3;
    const setup = () => {
      const rng = new Rng(M, ncols, m, 32);
      const arena = new WasmArena(arenaDoubles(M * stride, m * M, m * stride, m * M));
      const X = arena.f32(M * stride);
      const [V, C, out] = [arena.f64(m * M), arena.f64(m * stride), arena.f64(m * M)];
      for (let i = 0; i < M * stride; i++) X[i] = rng.normal();
      for (let i = 0; i < m * M; i++) V[i] = rng.normal();
      for (let j = 0; j < m * stride; j++) C[j] = rng.normal();
      return { X, V, C, out };
    };

    it(`float X: colDotsBlock equals the JS loop bit for bit, M = ${M}, ${ncols} columns, ${m} vectors`, () => {
      const { X, V, C } = setup();
      const ref = Float64Array.from(C);
      for (let t = 0; t < m; t++)
        colDotsJs(0, X, M, stride, ncols, V.subarray(t * M, (t + 1) * M), ref.subarray(t * stride));
      takeKernelUsage();
      colDotsBlock(X, M, stride, ncols, m, V, M, C, stride);
      expect(takeKernelUsage().dots).toBe("wasm-simd");
      expect(Array.from(C)).toEqual(Array.from(ref));
    });

    it(`float X: rowDotsBlock matches the JS loop to 1e-12, M = ${M}, ${ncols} columns, ${m} vectors`, () => {
      const { X, V, C, out } = setup();
      expect(rowDotsBlockVsJs(X, V, C, out, M, stride, ncols, m)).toBeLessThan(1e-12);
    });
  }

  it("runs in place only when all arrays share one arena (else the JS loops, same numbers)", () => {
    const [X, v] = wasmArrays(8 * 3, 8);
    expect(sameArena(X, v)).toBe(true);
    expect(sameArena(X, v, new Float64Array(3))).toBe(false);
    X.fill(1);
    v.fill(2);
    const plain = new Float64Array(3);
    const inArena = wasmArrays(3)[0];
    colDots(X, 8, 3, 3, v, plain);
    colDots(X, 8, 3, 3, v, inArena);
    expect(Array.from(plain)).toEqual([16, 16, 16]);
    expect(Array.from(inArena)).toEqual([16, 16, 16]);
  });
});

describe("forcing the JS kernels", () => {
  it("arenas hold plain arrays, the wrappers run the JS loops (same numbers), and the record says so", () => {
    const [M, N1, k] = [3 * TANGENT_LANES + 1, 9, 6];
    const { Cc, dl, Rt } = tangentInputs(M, N1, 3);
    const row = (arrays: Float64Array[]) => {
      const [c, d, r, P, out] = arrays;
      c.set(Cc);
      d.set(dl);
      r.set(Rt);
      predictionResponseRow({ k, M, N1, Cc: c, dl: d, Rt: r, P, out });
      const [X, v, dots] = [c, d, out];
      colDots(X, M, N1, N1, v, dots);
      return Array.from(dots);
    };
    const lengths = [M * N1, M, N1 * N1, TANGENT_LANES * (N1 + 1), N1];
    takeKernelUsage();
    const wasm = row(wasmArrays(...lengths));
    expect(takeKernelUsage()).toEqual({ tangent: "wasm-simd", dots: "wasm-simd" });
    useKernels("js");
    try {
      const arrays = wasmArrays(...lengths);
      expect(sameArena(...arrays)).toBe(false);
      expect(row(arrays)).toEqual(wasm); // tangent and colDots: bit-identical to their JS loops
      expect(takeKernelUsage()).toEqual({ tangent: "js", dots: "js" });
    } finally {
      useKernels("wasm-simd");
    }
  });
});
