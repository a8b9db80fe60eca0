// WebAssembly SIMD (f64x2) kernels for the SGF step, assembled with src/util/wasm.ts (no toolchain needed):
//   dots(x, th, out, groups, d): out[i] = x_i . th over `groups` blocks of four consecutive rows of length d
//   axpy4(x, v, inc, groups, d): inc += sum_i v_i x_i over `groups` blocks of four consecutive rows
// All arguments are byte addresses / counts in one linear memory owned by a `MatKernel`. X has its row
// count padded to a multiple of 4 with zero rows (their v stays 0), so neither needs a row remainder loop.
// theta (d x k) is stored column by column, and so are r = X theta and v (nPad x k): a k-column product is
// k single-column calls on the same block of rows, which stays in cache between columns. (A kernel doing
// two columns per pass of X was measured: within +-6% of this in CPU time at d = 2000, so not kept.)
import {
  addTo,
  F64,
  f64add,
  f64load,
  f64mul,
  f64store,
  get,
  I32,
  i32add,
  i32and,
  i32c,
  i32shl,
  ins,
  lane,
  set,
  splat,
  sum,
  V128,
  vadd,
  vec,
  vload,
  vmul,
  vstore,
  vzero,
  wasmModuleBytes,
  whileLt,
} from "../util/wasm.js";

/** local[i] = (local[d] & mask) << 3: a byte count of d (or its multiple-of-4 part). */
const bytesOf = (i: number, d: number, mask?: number) =>
  ins(get(d), mask === undefined ? [] : ins(i32c(mask), i32and), i32c(3), i32shl, set(i));
/** p[0] = x, p[r] = p[r-1] + rb: pointers to consecutive rows. */
const rowPointers = (p: number[], x: number, rb: number) =>
  ins(get(x), set(p[0]), ...p.slice(1).map((q, r) => sum(q, p[r], rb)));
const r4 = [0, 1, 2, 3];

/** Params x=0, th=1, out=2, groups=3, d=4 of dots: four rows at a time, two f64x2 per row per step. */
function dotsBody(): number[] {
  const [x, th, out, groups, d] = [0, 1, 2, 3, 4];
  const [rb, mb, outEnd, pt, pend, thEnd] = [5, 6, 7, 8, 9, 10];
  const p = [11, 12, 13, 14];
  const acc = [15, 16, 17, 18, 19, 20, 21, 22];
  const [t0, t1] = [23, 24];
  const sv = [25, 26, 27, 28];
  const tv = 29;
  const locals = vec([
    [10, I32],
    [10, V128],
    [5, F64],
  ]);
  const accStep = (r: number, h: number) => {
    const a = acc[2 * r + h];
    return ins(get(a), get(p[r]), vload(16 * h), get(h === 0 ? t0 : t1), vmul, vadd, set(a));
  };
  const rowSum = (r: number) => {
    const a = acc[2 * r];
    return ins(
      get(a),
      get(acc[2 * r + 1]),
      vadd,
      set(a),
      get(a),
      lane(0),
      get(a),
      lane(1),
      f64add,
      set(sv[r]),
    );
  };
  const tailStep = (r: number) => ins(get(sv[r]), get(p[r]), f64load(), get(tv), f64mul, f64add, set(sv[r]));
  const code = ins(
    bytesOf(rb, d),
    bytesOf(mb, d, -4),
    ins(get(groups), i32c(5), i32shl, get(out), i32add, set(outEnd)),
    sum(thEnd, th, rb),
    whileLt(
      out,
      outEnd,
      ins(
        ...acc.map((a) => ins(vzero, set(a))),
        rowPointers(p, x, rb),
        ins(get(th), set(pt)),
        sum(pend, th, mb),
        whileLt(
          pt,
          pend,
          ins(
            ins(get(pt), vload(0), set(t0), get(pt), vload(16), set(t1)),
            ...r4.map((r) => ins(accStep(r, 0), accStep(r, 1), addTo(p[r], i32c(32)))),
            addTo(pt, i32c(32)),
          ),
        ),
        ...r4.map(rowSum),
        whileLt(
          pt,
          thEnd,
          ins(
            ins(get(pt), f64load(), set(tv)),
            ...r4.map((r) => ins(tailStep(r), addTo(p[r], i32c(8)))),
            addTo(pt, i32c(8)),
          ),
        ),
        ...r4.map((r) => ins(get(out), get(sv[r]), f64store(8 * r))),
        addTo(out, i32c(32)),
        addTo(x, ins(get(rb), i32c(2), i32shl)),
      ),
    ),
    [0x0b],
  );
  return [...locals, ...code];
}

/** Params x=0, v=1, inc=2, groups=3, d=4 of axpy4: four rows at a time, four doubles per step. */
function axpyBody(): number[] {
  const [x, v, inc, groups, d] = [0, 1, 2, 3, 4];
  const [rb, mb, vEnd, pi, pend, incEnd] = [5, 6, 7, 8, 9, 10];
  const p = [11, 12, 13, 14];
  const vv = [15, 16, 17, 18];
  const sv = [19, 20, 21, 22];
  const locals = vec([
    [10, I32],
    [4, V128],
    [4, F64],
  ]);
  const term = (k: number, wide: boolean, off: number) =>
    ins(get(wide ? vv[k] : sv[k]), get(p[k]), wide ? vload(off) : f64load(), wide ? vmul : f64mul);
  const sum4 = (wide: boolean, off = 0) => {
    const add = wide ? vadd : f64add;
    const t = (k: number) => term(k, wide, off);
    return ins(t(0), t(1), add, t(2), t(3), add, add);
  };
  /** inc[pi + off .. +16) += the four rows' terms. */
  const wideHalf = (off: number) => ins(get(pi), get(pi), vload(off), sum4(true, off), vadd, vstore(off));
  const advance = (bytes: number) => ins(...p.map((q) => addTo(q, i32c(bytes))), addTo(pi, i32c(bytes)));
  const code = ins(
    bytesOf(rb, d),
    bytesOf(mb, d, -4),
    ins(get(groups), i32c(5), i32shl, get(v), i32add, set(vEnd)),
    sum(incEnd, inc, rb),
    whileLt(
      v,
      vEnd,
      ins(
        ...r4.map((k) => ins(get(v), f64load(8 * k), set(sv[k]), get(sv[k]), splat, set(vv[k]))),
        rowPointers(p, x, rb),
        ins(get(inc), set(pi)),
        sum(pend, inc, mb),
        whileLt(pi, pend, ins(wideHalf(0), wideHalf(16), advance(32))),
        whileLt(pi, incEnd, ins(get(pi), get(pi), f64load(), sum4(false), f64add, f64store(), advance(8))),
        addTo(x, ins(get(rb), i32c(2), i32shl)),
        addTo(v, i32c(32)),
      ),
    ),
    [0x0b],
  );
  return [...locals, ...code];
}

function moduleBytes(): Uint8Array<ArrayBuffer> {
  return wasmModuleBytes([
    { name: "dots", params: 5, body: dotsBody() },
    { name: "axpy4", params: 5, body: axpyBody() },
  ]);
}

let compiled: WebAssembly.Module | undefined;

/** Largest linear memory we ask for (wasm32 byte addresses; stay well inside the 4 GiB limit). */
const MAX_BYTES = 2 ** 31;

/**
 * Layout of a MatKernel's arrays, all column by column: X (nPad x d, rows n..nPad-1 zero), theta and inc
 * (d x k: column a at a d), r and v (nPad x k: column a at a nPad).
 */
export interface MatArrays {
  n: number;
  d: number;
  /** Number of columns of theta (hidden units). */
  k: number;
  nPad: number;
  X: Float64Array;
  theta: Float64Array;
  inc: Float64Array;
  r: Float64Array;
  v: Float64Array;
}

/** The two dense products of an SGF step on row blocks [i0, i0 + rows), rows a multiple of 4. */
export interface MatKernel extends MatArrays {
  /** "wasm-simd" or "js" (reported in the result's meta). */
  name: string;
  /** r[a nPad + i] = x_i . theta_a for the block and every column a. */
  dots(i0: number, rows: number): void;
  /** inc_a += sum_i v[a nPad + i] x_i over the block, for every column a. */
  axpy(i0: number, rows: number): void;
}

/** The SIMD kernel for n x d with k columns, or undefined when WebAssembly is unavailable or too large. */
export function createSimdKernel(n: number, d: number, k = 1): MatKernel | undefined {
  const nPad = Math.ceil(n / 4) * 4;
  const bytes = 8 * (nPad * d + 2 * k * d + 2 * k * nPad);
  if (bytes > MAX_BYTES || typeof WebAssembly === "undefined") return undefined;
  compiled ??= new WebAssembly.Module(moduleBytes());
  const mem = new WebAssembly.Memory({ initial: Math.ceil(bytes / 65536) });
  const ex = new WebAssembly.Instance(compiled, { env: { mem } }).exports as Record<
    string,
    (...a: number[]) => void
  >;
  const at = (off: number, len: number) => new Float64Array(mem.buffer, off, len);
  const thOff = 8 * nPad * d;
  const incOff = thOff + 8 * k * d;
  const rOff = incOff + 8 * k * d;
  const vOff = rOff + 8 * k * nPad;
  return {
    name: "wasm-simd",
    n,
    d,
    k,
    nPad,
    X: at(0, nPad * d),
    theta: at(thOff, k * d),
    inc: at(incOff, k * d),
    r: at(rOff, k * nPad),
    v: at(vOff, k * nPad),
    dots: (i0, rows) => {
      for (let a = 0; a < k; a++)
        ex.dots(8 * i0 * d, thOff + 8 * a * d, rOff + 8 * (a * nPad + i0), rows / 4, d);
    },
    axpy: (i0, rows) => {
      for (let a = 0; a < k; a++)
        ex.axpy4(8 * i0 * d, vOff + 8 * (a * nPad + i0), incOff + 8 * a * d, rows / 4, d);
    },
  };
}
