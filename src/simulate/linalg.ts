// Dense kernels of the simulators on row-major Float64Array matrices (X is n x d, row i = x_i): the SGF
// step on row blocks through a MatKernel (WebAssembly SIMD, or plain JS with rows four at a time), and
// the single-row and Gram helpers used by SGD and the two-time kernel.
import type { CompiledFns } from "../types.js";
import { createSimdKernel, type MatArrays, type MatKernel } from "./wasm.js";

/** out[i] = x_i . v for the n rows of X (n x d, row-major). */
export function matVec(X: Float64Array, n: number, d: number, v: Float64Array, out: Float64Array): void {
  let i = 0;
  for (; i + 3 < n; i += 4) {
    const o0 = i * d;
    const o1 = o0 + d;
    const o2 = o1 + d;
    const o3 = o2 + d;
    let s0 = 0;
    let s1 = 0;
    let s2 = 0;
    let s3 = 0;
    for (let j = 0; j < d; j++) {
      const vj = v[j];
      s0 += X[o0 + j] * vj;
      s1 += X[o1 + j] * vj;
      s2 += X[o2 + j] * vj;
      s3 += X[o3 + j] * vj;
    }
    out[i] = s0;
    out[i + 1] = s1;
    out[i + 2] = s2;
    out[i + 3] = s3;
  }
  for (; i < n; i++) out[i] = dot(X, i * d, v, d);
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

/** Plain-JS MatKernel (fallback when the WebAssembly memory would not fit): 4-row unrolled loops. */
export function createJsKernel(n: number, d: number): MatKernel {
  const nPad = Math.ceil(n / 4) * 4;
  const a: MatArrays = {
    n,
    d,
    nPad,
    X: new Float64Array(nPad * d),
    theta: new Float64Array(d),
    inc: new Float64Array(d),
    r: new Float64Array(nPad),
    v: new Float64Array(nPad),
  };
  const { X, theta, inc, r, v } = a;
  return {
    ...a,
    name: "js",
    dots: (i0, rows) =>
      matVec(X.subarray(i0 * d, (i0 + rows) * d), rows, d, theta, r.subarray(i0, i0 + rows)),
    axpy: (i0, rows) => {
      for (let i = i0; i < i0 + rows; i += 4) {
        const o0 = i * d;
        const o1 = o0 + d;
        const o2 = o1 + d;
        const o3 = o2 + d;
        const [v0, v1, v2, v3] = [v[i], v[i + 1], v[i + 2], v[i + 3]];
        for (let j = 0; j < d; j++)
          inc[j] += v0 * X[o0 + j] + v1 * X[o1 + j] + v2 * X[o2 + j] + v3 * X[o3 + j];
      }
    },
  };
}

/** The WebAssembly SIMD kernel when it fits, else the plain-JS one. */
export function createKernel(n: number, d: number): MatKernel {
  return createSimdKernel(n, d) ?? createJsKernel(n, d);
}

/** Inputs of one Euler–Maruyama step of the SGF (tau = 0: gradient flow) on the kernel's theta. */
export interface StepInput {
  kernel: MatKernel;
  y: Float64Array;
  fns: CompiledFns;
  dt: number;
  delta: number;
  tau: number;
  /** n standard normals (dB_i = sqrt(dt) xi_i); ignored when tau = 0. */
  xi: Float64Array;
  /** Also sum the losses L(r_i; y_i) (only needed on recording steps). */
  wantLoss: boolean;
}

/**
 * Data part of one SGF step, in row blocks of ~256 KB so each block of X is read from memory once:
 * r = X theta, l = l(r; y), v = -(dt/delta) l + sqrt(tau dt/delta) l xi, inc = X^T v (overwritten).
 * Returns sum_i L(r_i; y_i) (0 unless wantLoss) and sum_i l_i^2 (the caller checks them for blow-up).
 */
export function sgfDataStep(s: StepInput): { lossSum: number; l2Sum: number } {
  const { kernel: k, y, fns, xi } = s;
  const { n, d, nPad, r, v } = k;
  const drift = -s.dt / s.delta;
  const noise = s.tau > 0 ? Math.sqrt((s.tau * s.dt) / s.delta) : 0;
  const block = Math.max(4, 4 * Math.floor(8192 / d));
  k.inc.fill(0);
  let lossSum = 0;
  let l2Sum = 0;
  for (let i0 = 0; i0 < nPad; i0 += block) {
    const rows = Math.min(block, nPad - i0);
    k.dots(i0, rows);
    const end = Math.min(i0 + rows, n);
    for (let i = i0; i < end; i++) {
      const l = fns.l(r[i], y[i]);
      if (s.wantLoss) lossSum += fns.loss(r[i], y[i]);
      l2Sum += l * l;
      v[i] = noise === 0 ? drift * l : l * (drift + noise * xi[i]);
    }
    k.axpy(i0, rows);
  }
  return { lossSum, l2Sum };
}

/** Gram matrix of the recorded rows: G[a, b] = (A_a . A_b) / d for A (k x d, row-major); k x k row-major. */
export function gram(A: Float64Array, k: number, d: number): Float64Array {
  const G = new Float64Array(k * k);
  for (let a = 0; a < k; a++) {
    for (let b = 0; b <= a; b++) {
      let s = 0;
      const oa = a * d;
      const ob = b * d;
      for (let j = 0; j < d; j++) s += A[oa + j] * A[ob + j];
      G[a * k + b] = G[b * k + a] = s / d;
    }
  }
  return G;
}
