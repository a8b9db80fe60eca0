// Dense kernels of the simulators on row-major Float64Array matrices (X is n x d, row i = x_i): the SGF
// step on row blocks through a MatKernel (wasm.ts: the kernel library's WebAssembly SIMD or JS loops) for
// theta with k columns, and the single-row and Gram helpers used by SGD and the two-time kernel.
import { rowDotsJs } from "../kernels/js.js";
import type { VectorFns } from "../types.js";
import type { MatKernel } from "./wasm.js";

export { createJsKernel, createKernel } from "./wasm.js";

/** out[i] = x_i . v for the n rows of X (n x d, row-major). */
export function matVec(X: Float64Array, n: number, d: number, v: Float64Array, out: Float64Array): void {
  rowDotsJs(0, X, n, d, d, v, out, "set");
}

/** x_i . v where x_i starts at offset o of X. */
export function dot(X: Float64Array, o: number, v: Float64Array, d: number): number {
  let s = 0;
  for (let j = 0; j < d; j++) s += X[o + j] * v[j];
  return s;
}

/** out += c * x_i (row at offset o). */
export function axpyRow(X: Float64Array, o: number, c: number, out: Float64Array, d: number): void {
  for (let j = 0; j < d; j++) out[j] += c * X[o + j];
}

/** Inputs of one Euler–Maruyama step of the SGF (tau = 0: gradient flow) on the kernel's theta. */
export interface StepInput {
  kernel: MatKernel;
  y: Float64Array;
  vec: VectorFns;
  dt: number;
  delta: number;
  tau: number;
  /** n standard normals (dB_i = sqrt(dt) xi_i, one per sample shared by its k columns); unused when tau = 0. */
  xi: Float64Array;
  /** SGD with a batch fraction: n sample weights s_i in {0, 1/b} (then tau is 0 and xi unused). */
  weights?: Float64Array | null;
  /** Also sum the losses L(r_i; y_i) (only needed on recording steps). */
  wantLoss: boolean;
}

/** Per-sample loss sum over all n samples with the kernel's current theta (r = X theta recomputed). */
export function trainLossSum(kernel: MatKernel, vec: VectorFns, y: Float64Array): number {
  const { n, k, nPad, r } = kernel;
  const ri = new Float64Array(k);
  kernel.dots(0, nPad);
  let s = 0;
  for (let i = 0; i < n; i++) {
    for (let a = 0; a < k; a++) ri[a] = r[a * nPad + i];
    s += vec.loss(ri, 0, y[i]);
  }
  return s;
}

/**
 * Data part of one SGF step, in row blocks of ~256 KB so each block of X is read from memory once:
 * r = X theta, l = grad L(r; y) in R^k, v = -(dt/delta) l + sqrt(tau dt/delta) l xi (one scalar xi per
 * sample; with weights, v = -(dt/delta) s l), inc = X^T v (overwritten). Returns sum_i L(r_i; y_i) (0 unless wantLoss) and sum_i |l_i|^2
 * (the caller checks them for blow-up).
 */
export function sgfDataStep(s: StepInput): { lossSum: number; l2Sum: number } {
  const { kernel: kn, y, vec, xi, weights } = s;
  const { n, d, k, nPad, r, v } = kn;
  const drift = -s.dt / s.delta;
  const noise = s.tau > 0 ? Math.sqrt((s.tau * s.dt) / s.delta) : 0;
  const block = Math.max(4, 4 * Math.floor(8192 / d));
  const ri = new Float64Array(k);
  const li = new Float64Array(k);
  kn.inc.fill(0);
  let lossSum = 0;
  let l2Sum = 0;
  for (let i0 = 0; i0 < nPad; i0 += block) {
    const rows = Math.min(block, nPad - i0);
    kn.dots(i0, rows);
    const end = Math.min(i0 + rows, n);
    for (let i = i0; i < end; i++) {
      for (let a = 0; a < k; a++) ri[a] = r[a * nPad + i];
      vec.grad(ri, 0, y[i], li, 0);
      if (s.wantLoss) lossSum += vec.loss(ri, 0, y[i]);
      const f = weights ? drift * weights[i] : noise === 0 ? drift : drift + noise * xi[i];
      for (let a = 0; a < k; a++) {
        const l = li[a];
        l2Sum += l * l;
        v[a * nPad + i] = l * f;
      }
    }
    kn.axpy(i0, rows);
  }
  return { lossSum, l2Sum };
}

/**
 * Gram matrix of recorded states: A holds N states of d x k (column by column, state t at t k d);
 * G[((t N + s) k + a) k + b] = (column a of state t) . (column b of state s) / d, shape N x N x k x k.
 */
export function gram(A: Float64Array, N: number, d: number, k = 1): Float64Array {
  const G = new Float64Array(N * N * k * k);
  for (let t = 0; t < N; t++) {
    for (let s = 0; s <= t; s++) {
      for (let a = 0; a < k; a++) {
        for (let b = 0; b < k; b++) {
          let sum = 0;
          const oa = (t * k + a) * d;
          const ob = (s * k + b) * d;
          for (let j = 0; j < d; j++) sum += A[oa + j] * A[ob + j];
          G[((t * N + s) * k + a) * k + b] = G[((s * N + t) * k + b) * k + a] = sum / d;
        }
      }
    }
  }
  return G;
}
