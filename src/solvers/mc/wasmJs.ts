// Plain JS loops of the Monte-Carlo solver's dense products over sample-major matrices: the fallback of
// the WebAssembly kernels (wasm.ts) for rows outside whole four-row blocks or arrays outside a kernel
// memory, and their reference in tests. X has rows i = 0..M-1 starting at i * stride.

/** Row-dot update modes: out_i = d, out_i -= d, out_i += d. */
export type RowMode = "set" | "sub" | "add";
export const ROW_MODES: Record<RowMode, number> = { set: 0, sub: 1, add: 2 };

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

/** out_i (=, -=, +=) X[i, 0..ncols-1] . c for i >= from; four rows at a time. */
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
    out[i] = mode === "set" ? d : mode === "sub" ? out[i] - d : out[i] + d;
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
