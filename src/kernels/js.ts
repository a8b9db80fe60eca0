// Plain JS loops of the kernel library: the fallback of the WebAssembly kernels (calls.ts) for rows outside
// whole four-row blocks, arrays outside a kernel memory, or no WebAssembly SIMD at all, and their reference
// in tests. Dense products over row-major X (rows i = 0..M-1 starting at i * stride), and the tangent
// (adjoint) sweep of the Monte-Carlo solver's prediction-side response rows.

/** Row-dot update modes: out_i = d, out_i += d. */
export type RowMode = "set" | "add";

/** The matrix X of the dense products: doubles, or floats (read as doubles; see dense.ts). */
export type DenseX = Float64Array | Float32Array;

/** out[j] += sum_{i >= from} X[i,j] v_i for j < ncols; four rows at a time (each out[j] load serves four). */
export function colDotsJs(
  from: number,
  X: DenseX,
  M: number,
  stride: number,
  ncols: number,
  v: Float64Array,
  out: Float64Array,
): void {
  let i = from;
  for (; i + 4 <= M; i += 4) {
    const r0 = i * stride;
    const r1 = r0 + stride;
    const r2 = r1 + stride;
    const r3 = r2 + stride;
    const v0 = v[i];
    const v1 = v[i + 1];
    const v2 = v[i + 2];
    const v3 = v[i + 3];
    for (let j = 0; j < ncols; j++) {
      out[j] += X[r0 + j] * v0 + X[r1 + j] * v1 + X[r2 + j] * v2 + X[r3 + j] * v3;
    }
  }
  for (; i < M; i++) {
    const row = i * stride;
    for (let j = 0; j < ncols; j++) out[j] += X[row + j] * v[i];
  }
}

/** out_i (=, +=) X[i, 0..ncols-1] . c for i >= from; four rows at a time. */
export function rowDotsJs(
  from: number,
  X: DenseX,
  M: number,
  stride: number,
  ncols: number,
  c: Float64Array,
  out: Float64Array,
  mode: RowMode,
): void {
  const put = (i: number, d: number) => {
    out[i] = mode === "set" ? d : out[i] + d;
  };
  let i = from;
  for (; i + 4 <= M; i += 4) {
    const r0 = i * stride;
    const r1 = r0 + stride;
    const r2 = r1 + stride;
    const r3 = r2 + stride;
    let s0 = 0;
    let s1 = 0;
    let s2 = 0;
    let s3 = 0;
    for (let j = 0; j < ncols; j++) {
      const d = c[j];
      s0 += X[r0 + j] * d;
      s1 += X[r1 + j] * d;
      s2 += X[r2 + j] * d;
      s3 += X[r3 + j] * d;
    }
    put(i, s0);
    put(i + 1, s1);
    put(i + 2, s2);
    put(i + 3, s3);
  }
  for (; i < M; i++) {
    const row = i * stride;
    let s = 0;
    for (let j = 0; j < ncols; j++) s += X[row + j] * c[j];
    put(i, s);
  }
}

/**
 * One prediction-side response row of the Monte-Carlo solver (responses.ts): out[s] = sum_i dl_i P_i[s]
 * for s <= k, with P[k] = 1 and P[s] = c_s sum_{a=s+1..k} P[a] R[a,s] (backwards in s, each sum in
 * descending a from +0). `Cc` holds c sample-major (stride N1), `Rt[s*N1 + a] = R[a,s]`, `P` is scratch.
 */
export interface TangentRow {
  k: number;
  M: number;
  N1: number;
  Cc: Float64Array;
  dl: Float64Array;
  Rt: Float64Array;
  P: Float64Array;
  out: Float64Array;
}

/**
 * The JS loop of a TangentRow over samples from..M-1 (adds to out; P of length >= 4 (k + 1)): one
 * adjointSweep per sample; out[s] gets (d0 P0 + d2 P2) + (d1 P1 + d3 P3) per four samples, the order of the
 * SIMD kernel's runs of four samples (so that both give the same bits), then the remaining samples one by one.
 */
export function tangentRowsJs(from: number, row: TangentRow): void {
  const { k, M, N1, Cc, dl, Rt, P, out } = row;
  const K1 = k + 1;
  let i = from;
  for (; i + 4 <= M; i += 4) {
    for (let j = 0; j < 4; j++) adjointSweep(k, N1, Rt, P, j * K1, Cc, (i + j) * N1, null);
    const [d0, d1, d2, d3] = [dl[i], dl[i + 1], dl[i + 2], dl[i + 3]];
    for (let s = 0; s <= k; s++)
      out[s] += d0 * P[s] + d2 * P[2 * K1 + s] + (d1 * P[K1 + s] + d3 * P[3 * K1 + s]);
  }
  for (; i < M; i++) {
    adjointSweep(k, N1, Rt, P, 0, Cc, i * N1, null);
    for (let s = 0; s <= k; s++) out[s] += dl[i] * P[s];
  }
}

/**
 * The adjoint sweep of one sample, in P[po + 0..k]: P[k] = v_k, then backwards
 * P[s] = v_s + c_s sum_{a=s+1..k} P[a] R[a,s] (the sum in descending a from +0, skipped when c_s = 0), with
 * c_s = c[cOff + s]. The tangent has no sources (v = null: v_k = 1, else 0); the branching estimator
 * (branch.ts) passes its v.
 */
export function adjointSweep(
  k: number,
  N1: number,
  Rt: Float64Array,
  P: Float64Array,
  po: number,
  c: Float64Array,
  cOff: number,
  v: Float64Array | null,
): void {
  P[po + k] = v ? v[k] : 1;
  for (let s = k - 1; s >= 0; s--) {
    const cs = c[cOff + s];
    const vs = v ? v[s] : 0;
    if (cs === 0) {
      P[po + s] = vs;
      continue;
    }
    const rb = s * N1;
    let acc = 0;
    for (let a = k; a > s; a--) acc += P[po + a] * Rt[rb + a];
    P[po + s] = v ? vs + cs * acc : cs * acc;
  }
}
