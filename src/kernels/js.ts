// Plain JS loops of the kernel library: the fallback of the WebAssembly kernels (calls.ts) for rows outside
// whole four-row blocks, arrays outside a kernel memory, or no WebAssembly SIMD at all, and their reference
// in tests. Dense products over row-major X (rows i = 0..M-1 starting at i * stride), and the tangent
// (adjoint) sweep of the Monte-Carlo solver's prediction-side response rows.

/** Row-dot update modes: out_i = d, out_i += d. */
export type RowMode = "set" | "add";

/** out[j] += sum_{i >= from} X[i,j] v_i for j < ncols; four rows at a time (each out[j] load serves four). */
export function colDotsJs(
  from: number,
  X: Float64Array,
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
  X: Float64Array,
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

/** The JS loop of a TangentRow over samples from..M-1 (adds to out; P of length >= 4 (k + 1)). */
export function tangentRowsJs(from: number, row: TangentRow): void {
  const { k, M, N1, Cc, dl, Rt, P, out } = row;
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
    const d = dl[i];
    const base = i * N1;
    adjointSweep(k, N1, Rt, P, 1, (s, acc) => Cc[base + s] * acc);
    for (let s = 0; s <= k; s++) out[s] += d * P[s];
  }
}

/**
 * The scalar adjoint sweep of one sample: P[k] = top, then backwards P[s] = step(s, acc_s) with
 * acc_s = sum_{a=s+1..k} P[a] R[a,s] (descending a from +0). The tangent takes top = 1 and
 * step(s, acc) = c_s acc; the branching estimator (branch.ts) adds its sources v_s.
 */
export function adjointSweep(
  k: number,
  N1: number,
  Rt: Float64Array,
  P: Float64Array,
  top: number,
  step: (s: number, acc: number) => number,
): void {
  P[k] = top;
  for (let s = k - 1; s >= 0; s--) {
    const rb = s * N1;
    let acc = 0;
    for (let a = k; a > s; a--) acc += P[a] * Rt[rb + a];
    P[s] = step(s, acc);
  }
}
