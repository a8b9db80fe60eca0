// Response rows of the Monte-Carlo solver by exact discrete tangents, computed backwards (adjoint) per
// sample so that no M x N x N tangent array is ever stored: the O(M N^3 / 6) multiply-add hot loop.
import { tangentRowSimd } from "./wasm.js";

/**
 * Prediction side: out[s] = sum_i dl_i(r_k) J_i^(s)_k for s <= k, where J^(s)_k = d r_k / d w_s solves
 * J_k = delta_ks + sum_{a<k} R[k,a] c_a J_a with c_a = dl(r_a) dxi_a. Row k of P = (I - K)^-1 obeys
 * P = I + P K, i.e. P[k] = 1 and P[s] = c_s sum_{a=s+1..k} P[a] R[a,s] (backwards in s), each sum taken in
 * descending a from +0 (so that the SIMD kernel can compute two rows in one pass with the same rounding).
 * `Cc` holds c (sample-major, stride N1); `Rt[s*N1 + a] = R[a,s]`; `P` is scratch of length >= 4 (k+1).
 * Whole blocks of TANGENT_LANES samples go through the WebAssembly SIMD kernel (bit-identical to the JS
 * loop; in place, without copies, when the arrays come from one `wasmArrays` call and P has length
 * >= TANGENT_LANES (k+1)); the remaining samples through the JS loop.
 */
export function predictionResponseRow(
  k: number,
  M: number,
  N1: number,
  Cc: Float64Array,
  dl: Float64Array,
  Rt: Float64Array,
  P: Float64Array,
  out: Float64Array,
): void {
  out.fill(0, 0, k + 1);
  const done = tangentRowSimd(k, M, N1, Cc, dl, Rt, P, out);
  predictionResponseRowsJs(done, k, M, N1, Cc, dl, Rt, P, out);
}

/** The JS loop of predictionResponseRow over samples from..M-1 (adds to out); the kernels' reference. */
export function predictionResponseRowsJs(
  from: number,
  k: number,
  M: number,
  N1: number,
  Cc: Float64Array,
  dl: Float64Array,
  Rt: Float64Array,
  P: Float64Array,
  out: Float64Array,
): void {
  // Four samples at a time (P interleaved: P[4a + j]) so that each load of R serves four multiply-adds;
  // out[s] gets (d0 P0 + d2 P2) + (d1 P1 + d3 P3), the order of the SIMD kernel's runs of four samples.
  let i = from;
  for (; i + 4 <= M; i += 4) {
    const b0 = i * N1;
    const b1 = b0 + N1;
    const b2 = b1 + N1;
    const b3 = b2 + N1;
    P[4 * k] = 1;
    P[4 * k + 1] = 1;
    P[4 * k + 2] = 1;
    P[4 * k + 3] = 1;
    for (let s = k - 1; s >= 0; s--) {
      const c0 = Cc[b0 + s];
      const c1 = Cc[b1 + s];
      const c2 = Cc[b2 + s];
      const c3 = Cc[b3 + s];
      const ps = 4 * s;
      if (c0 === 0 && c1 === 0 && c2 === 0 && c3 === 0) {
        P[ps] = 0;
        P[ps + 1] = 0;
        P[ps + 2] = 0;
        P[ps + 3] = 0;
        continue;
      }
      const rb = s * N1;
      let s0 = 0;
      let s1 = 0;
      let s2 = 0;
      let s3 = 0;
      for (let a = k; a > s; a--) {
        const r = Rt[rb + a];
        const pa = 4 * a;
        s0 += P[pa] * r;
        s1 += P[pa + 1] * r;
        s2 += P[pa + 2] * r;
        s3 += P[pa + 3] * r;
      }
      P[ps] = c0 * s0;
      P[ps + 1] = c1 * s1;
      P[ps + 2] = c2 * s2;
      P[ps + 3] = c3 * s3;
    }
    const d0 = dl[i];
    const d1 = dl[i + 1];
    const d2 = dl[i + 2];
    const d3 = dl[i + 3];
    for (let s = 0; s <= k; s++) {
      const ps = 4 * s;
      out[s] += d0 * P[ps] + d2 * P[ps + 2] + (d1 * P[ps + 1] + d3 * P[ps + 3]);
    }
  }
  for (; i < M; i++) {
    const base = i * N1;
    P[k] = 1;
    for (let s = k - 1; s >= 0; s--) {
      const rb = s * N1;
      let acc = 0;
      for (let a = k; a > s; a--) acc += P[a] * Rt[rb + a];
      P[s] = Cc[base + s] * acc;
    }
    const d = dl[i];
    for (let s = 0; s <= k; s++) out[s] += d * P[s];
  }
}

/**
 * Parameter side with a non-quadratic penalty: out[s] = sum_i d theta^i_{k+1} / d nu_s for s <= k.
 * With Q[j] = d theta_{k+1} / d theta_j (all paths): Q[k+1] = 1,
 * Q[j] = Q[j+1] (1 - D h'(theta_j)) - D sum_{a=j..k} Q[a+1] rho[a,j], and d theta_{k+1}/d nu_s = Q[s+1].
 * `Th` is the theta history (column-major: theta_j of sample i at Th[j*M + i]); `rhoT[j*N1 + a] = rho[a,j]`.
 */
export function paramResponseRow(
  k: number,
  M: number,
  N1: number,
  D: number,
  Th: Float64Array,
  dh: (theta: number) => number,
  rhoT: Float64Array,
  Q: Float64Array,
  out: Float64Array,
): void {
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
