// WebAssembly SIMD (f64x2) kernels for the SGF step, assembled here byte by byte (no toolchain needed):
//   dots(x, th, out, groups, d): out[i] = x_i . th over `groups` blocks of four consecutive rows of length d
//   axpy4(x, v, inc, groups, d): inc += sum_i v_i x_i over `groups` blocks of four consecutive rows
// All arguments are byte addresses / counts in one linear memory owned by a `MatKernel`. X has its row
// count padded to a multiple of 4 with zero rows (their v stays 0), so neither needs a row remainder loop.

const I32 = 0x7f;
const F64 = 0x7c;
const V128 = 0x7b;

function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n !== 0) b |= 0x80;
    out.push(b);
  } while (n !== 0);
  return out;
}

const vec = (items: number[][]): number[] => [...uleb(items.length), ...items.flat()];
const section = (id: number, body: number[]): number[] => [id, ...uleb(body.length), ...body];
const str = (s: string): number[] => [...uleb(s.length), ...Array.from(s, (c) => c.charCodeAt(0))];

// Instructions used (opcodes from the WebAssembly core + SIMD specifications).
const get = (i: number) => [0x20, ...uleb(i)];
const set = (i: number) => [0x21, ...uleb(i)];
/** i32.const with a signed LEB128 immediate. */
function i32c(v: number): number[] {
  const out = [0x41];
  for (;;) {
    const b = v & 0x7f;
    v >>= 7;
    const done = (v === 0 && (b & 0x40) === 0) || (v === -1 && (b & 0x40) !== 0);
    out.push(done ? b : b | 0x80);
    if (done) return out;
  }
}
const i32add = [0x6a];
const i32and = [0x71];
const i32shl = [0x74];
const i32geu = [0x4f];
const f64add = [0xa0];
const f64mul = [0xa2];
const f64load = (off = 0) => [0x2b, 3, ...uleb(off)];
const f64store = (off = 0) => [0x39, 3, ...uleb(off)];
const vload = (off = 0) => [0xfd, 0x00, 3, ...uleb(off)];
const vstore = (off = 0) => [0xfd, 0x0b, 3, ...uleb(off)];
const splat = [0xfd, 0x14];
const lane = (k: number) => [0xfd, 0x21, k];
const vadd = [0xfd, 0xf0, 0x01];
const vmul = [0xfd, 0xf2, 0x01];
const vzero = [0xfd, 0x0c, ...new Array(16).fill(0)];
/** One statement: a flat sequence of instructions. */
const ins = (...parts: number[][]): number[] => parts.flat();
/** `while (!(get(a) >= get(b))) { body }` as block/loop (unsigned compare). */
const whileLt = (a: number, b: number, body: number[]) =>
  ins([0x02, 0x40, 0x03, 0x40], get(a), get(b), i32geu, [0x0d, 1], body, [0x0c, 0, 0x0b, 0x0b]);
const addTo = (i: number, k: number[]) => ins(get(i), k, i32add, set(i));
/** local[i] = local[a] + local[b] */
const sum = (i: number, a: number, b: number) => ins(get(a), get(b), i32add, set(i));
/** local[i] = (local[d] & mask) << 3: a byte count of d (or its multiple-of-4 part). */
const bytesOf = (i: number, d: number, mask?: number) =>
  ins(get(d), mask === undefined ? [] : ins(i32c(mask), i32and), i32c(3), i32shl, set(i));
/** p[0] = x, p[r] = p[r-1] + rb: pointers to four consecutive rows. */
const rowPointers = (p: number[], x: number, rb: number) =>
  ins(get(x), set(p[0]), ...[1, 2, 3].map((r) => sum(p[r], p[r - 1], rb)));
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
  const fnType = [0x60, ...vec([[I32], [I32], [I32], [I32], [I32]]), 0];
  const body = (b: number[]) => [...uleb(b.length), ...b];
  const bytes = [
    0x00,
    0x61,
    0x73,
    0x6d,
    0x01,
    0x00,
    0x00,
    0x00,
    ...section(1, vec([fnType])),
    ...section(2, vec([[...str("env"), ...str("mem"), 0x02, 0x00, 0x01]])),
    ...section(3, vec([[0], [0]])),
    ...section(
      7,
      vec([
        [...str("dots"), 0x00, 0],
        [...str("axpy4"), 0x00, 1],
      ]),
    ),
    ...section(10, vec([body(dotsBody()), body(axpyBody())])),
  ];
  return new Uint8Array(bytes);
}

let compiled: WebAssembly.Module | undefined;

/** Largest linear memory we ask for (wasm32 byte addresses; stay well inside the 4 GiB limit). */
const MAX_BYTES = 2 ** 31;

/** Layout of a MatKernel's arrays: X (nPad x d, rows n..nPad-1 zero), theta, inc (d), r, v (nPad). */
export interface MatArrays {
  n: number;
  d: number;
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
  /** r[i] = x_i . theta for the block. */
  dots(i0: number, rows: number): void;
  /** inc += sum_i v_i x_i over the block. */
  axpy(i0: number, rows: number): void;
}

/** The SIMD kernel for n x d, or undefined when WebAssembly is unavailable or the memory would not fit. */
export function createSimdKernel(n: number, d: number): MatKernel | undefined {
  const nPad = Math.ceil(n / 4) * 4;
  const bytes = 8 * (nPad * d + 2 * d + 2 * nPad);
  if (bytes > MAX_BYTES || typeof WebAssembly === "undefined") return undefined;
  compiled ??= new WebAssembly.Module(moduleBytes());
  const mem = new WebAssembly.Memory({ initial: Math.ceil(bytes / 65536) });
  const ex = new WebAssembly.Instance(compiled, { env: { mem } }).exports as Record<
    string,
    (...a: number[]) => void
  >;
  const at = (off: number, len: number) => new Float64Array(mem.buffer, off, len);
  const thOff = 8 * nPad * d;
  const incOff = thOff + 8 * d;
  const rOff = incOff + 8 * d;
  const vOff = rOff + 8 * nPad;
  return {
    name: "wasm-simd",
    n,
    d,
    nPad,
    X: at(0, nPad * d),
    theta: at(thOff, d),
    inc: at(incOff, d),
    r: at(rOff, nPad),
    v: at(vOff, nPad),
    dots: (i0, rows) => ex.dots(8 * i0 * d, thOff, rOff + 8 * i0, rows / 4, d),
    axpy: (i0, rows) => ex.axpy4(8 * i0 * d, vOff + 8 * i0, incOff, rows / 4, d),
  };
}
