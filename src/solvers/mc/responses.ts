// Response rows of the Monte-Carlo solver by exact discrete tangents, computed backwards (adjoint) per
// sample so that no M x N x N tangent array is ever stored: the O(M N^3 / 6) multiply-add hot loop.
import { type TangentRow, tangentRowsJs } from "../../kernels/js.js";
import { tangentRowSimd } from "./wasm.js";

export type { TangentRow };

/**
 * Prediction side: out[s] = sum_i dl_i(r_k) J_i^(s)_k for s <= k, where J^(s)_k = d r_k / d w_s solves
 * J_k = delta_ks + sum_{a<k} R[k,a] c_a J_a with c_a = dl(r_a) dxi_a. Row k of P = (I - K)^-1 obeys
 * P = I + P K, i.e. P[k] = 1 and P[s] = c_s sum_{a=s+1..k} P[a] R[a,s] (backwards in s), each sum taken in
 * descending a from +0 (so that the SIMD kernel can compute two rows in one pass with the same rounding).
 * Layouts in `TangentRow` (src/kernels/js.ts); `P` is scratch of length >= 4 (k+1).
 * Whole blocks of TANGENT_LANES samples go through the WebAssembly SIMD kernel (bit-identical to the JS
 * loop; in place, without copies, when the arrays come from one `wasmArrays` call and P has length
 * >= TANGENT_LANES (k+1)); the remaining samples through the JS loop.
 */
export function predictionResponseRow(row: TangentRow): void {
  row.out.fill(0, 0, row.k + 1);
  tangentRowsJs(tangentRowSimd(row), row);
}

/** Inputs of a parameter-side response row (see paramResponseRow). */
export interface ParamRow {
  k: number;
  M: number;
  N1: number;
  /** Time step. */
  D: number;
  Th: Float64Array;
  /** h'(theta) of the penalty. */
  dh: (theta: number) => number;
  rhoT: Float64Array;
  /** Scratch. */
  Q: Float64Array;
  out: Float64Array;
}

/**
 * Parameter side with a non-quadratic penalty: out[s] = sum_i d theta^i_{k+1} / d nu_s for s <= k.
 * With Q[j] = d theta_{k+1} / d theta_j (all paths): Q[k+1] = 1,
 * Q[j] = Q[j+1] (1 - D h'(theta_j)) - D sum_{a=j..k} Q[a+1] rho[a,j], and d theta_{k+1}/d nu_s = Q[s+1].
 * `Th` is the theta history (column-major: theta_j of sample i at Th[j*M + i]); `rhoT[j*N1 + a] = rho[a,j]`.
 */
export function paramResponseRow(row: ParamRow): void {
  const { k, M, N1, D, Th, dh, rhoT, Q, out } = row;
  out.fill(0, 0, k + 1);
  for (let i = 0; i < M; i++) {
    Q[k + 1] = 1;
    for (let j = k; j >= 1; j--) {
      const rb = j * N1;
      let mem = 0;
      for (let a = j; a <= k; a++) mem += Q[a + 1] * rhoT[rb + a];
      Q[j] = Q[j + 1] * (1 - D * dh(Th[j * M + i])) - D * mem;
    }
    for (let s = 0; s <= k; s++) out[s] += Q[s + 1];
  }
}
