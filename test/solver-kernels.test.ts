// The WebAssembly SIMD kernels of the Monte-Carlo solver against their JS reference loops on random inputs,
// including sample counts that are not a multiple of the lane width and blocks of zero c (skipped rows).
import { describe, expect, it } from "vitest";
import { appendOrthonormalColumn } from "../src/solvers/mc/linalg.js";
import { predictionResponseRow, predictionResponseRowsJs } from "../src/solvers/mc/responses.js";
import {
  arenaDoubles,
  colDots,
  rowDots,
  sameArena,
  TANGENT_LANES,
  tangentRowSimd,
  WasmArena,
  wasmArrays,
} from "../src/solvers/mc/wasm.js";
import { colDotsJs, rowDotsJs } from "../src/solvers/mc/wasmJs.js";
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

/** Random tangent inputs; c is zero on whole blocks for some steps (as in sgd-limit without jumps). */
function tangentInputs(M: number, N1: number, seed: number) {
  const rng = new Rng(seed, 7);
  const Cc = new Float64Array(M * N1);
  const dl = new Float64Array(M);
  const Rt = new Float64Array(N1 * N1);
  for (let i = 0; i < M; i++) {
    dl[i] = rng.uniform();
    for (let s = 0; s < N1; s++)
      Cc[i * N1 + s] = s % 5 === 3 || rng.uniform() < 0.2 ? 0 : -0.1 * rng.normal();
  }
  for (let s = 0; s < N1; s++) for (let a = s + 1; a < N1; a++) Rt[s * N1 + a] = 0.5 * rng.normal();
  return { Cc, dl, Rt };
}

describe("tangent kernel (predictionResponseRow)", () => {
  const N1 = 23;
  for (const M of [TANGENT_LANES * 9, TANGENT_LANES * 9 + 5, 3 * TANGENT_LANES + 3, TANGENT_LANES - 1]) {
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
        predictionResponseRowsJs(0, k, M, N1, Cc, dl, Rt, P, ref);
        predictionResponseRow(k, M, N1, Cc, dl, Rt, P, copied);
        predictionResponseRow(k, M, N1, wCc, wdl, wRt, wP, wOut);
        expect(Array.from(copied.subarray(0, k + 1))).toEqual(Array.from(ref.subarray(0, k + 1)));
        expect(Array.from(wOut.subarray(0, k + 1))).toEqual(Array.from(ref.subarray(0, k + 1)));
      }
      // The SIMD path really ran on whole blocks, in place and copied.
      const blocks = TANGENT_LANES * Math.floor(M / TANGENT_LANES);
      wOut.fill(0);
      expect(tangentRowSimd(5, M, N1, wCc, wdl, wRt, wP, wOut)).toBe(blocks);
      expect(tangentRowSimd(5, M, N1, Cc, dl, Rt, P, copied.fill(0))).toBe(blocks);
    });
  }
});

describe("row and column dot kernels (Gram-Schmidt, moments)", () => {
  for (const [M, ncols] of [
    [203, 17],
    [200, 16],
    [61, 1],
    [3, 2],
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

    it(`rowDots (set, sub, add) matches the JS loop to 1e-12, M = ${M}, ${ncols} columns`, () => {
      const { X, v, c, out } = setup();
      for (const mode of ["set", "sub", "add"] as const) {
        out.set(v);
        const ref = Float64Array.from(v);
        rowDotsJs(0, X, M, stride, ncols, c, ref, mode);
        rowDots(X, M, stride, ncols, c, out, mode);
        expect(maxRelDiff(out, ref)).toBeLessThan(1e-12);
      }
    });

    it(`appendOrthonormalColumn in an arena matches plain arrays to 1e-12, M = ${M}`, () => {
      const { X: Z, v, c: dots } = setup();
      const [Zr, vr, dr] = [Float64Array.from(Z), Float64Array.from(v), new Float64Array(stride)];
      appendOrthonormalColumn(Zr, M, stride, ncols, vr, dr);
      appendOrthonormalColumn(Z, M, stride, ncols, v, dots);
      const col = (A: Float64Array) => Float64Array.from({ length: M }, (_, i) => A[i * stride + ncols]);
      expect(maxRelDiff(col(Z), col(Zr))).toBeLessThan(1e-12);
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
