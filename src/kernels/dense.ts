// WebAssembly SIMD (f64x2) bodies of the dense products over row-major matrices X (rows of `stride`
// doubles, the first `ncols` used), four rows per block, for the solver and the simulator alike. Two
// generators, each over m = 1..MAX_BLOCK vectors in one pass over X (the single-vector kernels are m = 1):
//   colDots: out_t[j] += sum_i X[i,j] v_t[i]      (Gram–Schmidt dots, the simulator's X^T v)
//   rowDots: out_t[i] (= or +=) X[i, 0..ncols-1] . c_t   (projections, moments, the simulator's X theta)
// Every kernel takes (x, vec, out, quads, stride, ncols, vstep, ostep): byte addresses, the number of
// four-row blocks, row stride and used columns in elements of X, and the byte distances between consecutive
// vectors t of `vec` and of `out`. X holds doubles, or (`x = "f32"`) floats that the kernel widens to
// doubles as it loads them (the solver's stored inputs and histories: half the memory traffic of the
// passes, which are bound by it; all arithmetic stays in doubles). The arithmetic per output is fixed by
// the options (see each generator); js.ts holds the plain-JS loops (colDots with order "chain" is
// bit-identical to colDotsJs, on doubles and on floats alike).
import {
  addTo,
  doublesToBytes,
  F32_BYTES,
  F64,
  F64_BYTES,
  f32load,
  f64add,
  f64load,
  f64mul,
  f64store,
  get,
  I32,
  i32add,
  i32and,
  i32c,
  ins,
  Locals,
  lane,
  promoteF32,
  promoteLowF32x2,
  set,
  splat,
  sum,
  times,
  V128,
  V128_BYTES,
  vadd,
  vload,
  vload64zero,
  vmul,
  vstore,
  vzero,
  whileLt,
} from "./asm.js";

/** Largest number of vectors handled by one colDots / rowDots pass. */
export const MAX_BLOCK = 3;

const range = (n: number) => Array.from({ length: n }, (_, i) => i);
const ROWS = range(4);
/** The kernels' parameters, in order. */
const PARAMS = 8;
const [X, VEC, OUT, QUADS, STRIDE, NCOLS, VSTEP, OSTEP] = range(PARAMS);

/** Element type of X: doubles, or floats widened to doubles on load. */
export type XType = "f64" | "f32";

/** Bytes per element of X. */
const xBytes = (x: XType) => (x === "f64" ? F64_BYTES : F32_BYTES);

/** Loads a pair of X's elements at `off` bytes from the address on the stack as an f64x2 (wide), or one. */
function xLoad(x: XType, wide: boolean, off = 0): number[] {
  if (x === "f64") return wide ? vload(off) : f64load(off);
  return wide ? ins(vload64zero(off), promoteLowF32x2) : ins(f32load(off), promoteF32);
}

/**
 * The loop shared by both generators: over four-row blocks (`perBlock`, a parameter, advances 32 bytes per
 * block), the pointer `w` walks the columns of the parameter `along` in steps of `pairDoubles` doubles
 * (`wide`), then one by one (`narrow`); `prologue` and `epilogue` run per block around the walk.
 */
function blockLoop(
  L: Locals,
  o: { along: number; perBlock: number; pairDoubles: number; x: XType },
  body: (f: { w: number; q: number; p: number[] }) => {
    prologue: number[];
    wide: number[];
    middle: number[];
    narrow: number[];
    epilogue: number[];
  },
): number[] {
  const [rowB, blockEnd, w, wWide, wEnd, q] = L.add(I32, 6);
  const p = L.add(I32, 4);
  const b = body({ w, q, p });
  const xb = xBytes(o.x);
  // X's row pointers advance by elements of X, the walk `w` (over doubles) by doubles.
  const advance = (n: number) =>
    ins(...p.map((pr) => addTo(pr, i32c(n * xb))), addTo(w, i32c(n * F64_BYTES)));
  return ins(
    ins(get(STRIDE), times(xb), set(rowB)),
    ins(get(QUADS), times(4 * F64_BYTES), get(o.perBlock), i32add, set(blockEnd)),
    ins(get(NCOLS), i32c(-o.pairDoubles), i32and, doublesToBytes, get(o.along), i32add, set(wWide)),
    ins(get(NCOLS), doublesToBytes, get(o.along), i32add, set(wEnd)),
    whileLt(
      o.perBlock,
      blockEnd,
      ins(
        b.prologue,
        ins(get(X), set(p[0]), ...[1, 2, 3].map((r) => sum(p[r], p[r - 1], rowB))),
        ins(get(o.along), set(w)),
        whileLt(w, wWide, ins(b.wide, advance(o.pairDoubles))),
        b.middle,
        whileLt(w, wEnd, ins(b.narrow, advance(1))),
        b.epilogue,
        ins(get(X), get(rowB), times(4), i32add, set(X)),
        addTo(o.perBlock, i32c(4 * F64_BYTES)),
      ),
    ),
    [0x0b],
  );
}

/**
 * colDots over m vectors; here `vec` holds the m coefficient columns v_t (read four rows at a time) and
 * `out` the m result rows of ncols. Per output, the four rows' terms are summed in `order`: "chain"
 * (((x0 v0 + x1 v1) + x2 v2) + x3 v3, the JS loop's) or "tree" ((x0 v0 + x1 v1) + (x2 v2 + x3 v3)), and
 * added to out; `pairs` f64x2 outputs per step of the walk (an unrolling: the same arithmetic).
 */
export function colDotsBody(m: number, order: "chain" | "tree", pairs = 1, x: XType = "f64"): number[] {
  const L = new Locals(PARAMS);
  const vv = range(m).map(() => L.add(V128, 4));
  const sv = range(m).map(() => L.add(F64, 4));
  const xv = L.add(V128, 4);
  const xs = L.add(F64, 4);
  const combine = (terms: number[][], add: number[]) =>
    order === "chain"
      ? ins(terms[0], terms[1], add, terms[2], add, terms[3], add)
      : ins(terms[0], terms[1], add, terms[2], terms[3], add, add);
  const code = blockLoop(L, { along: OUT, perBlock: VEC, pairDoubles: 2 * pairs, x }, ({ w, q, p }) => {
    /** out_t[w + off] += the block's terms, for every t (wide: two doubles); x from memory for m = 1. */
    const update = (wide: boolean, pair = 0) => {
      const off = V128_BYTES * pair;
      const [load, store, mul, add] = wide
        ? [vload(off), vstore(off), vmul, vadd]
        : [f64load(), f64store(), f64mul, f64add];
      const xLoadAt = xLoad(x, wide, wide ? 2 * xBytes(x) * pair : 0);
      const xl = wide ? xv : xs;
      const xr = (r: number) => (m === 1 ? ins(get(p[r]), xLoadAt) : get(xl[r]));
      return ins(
        m === 1 ? [] : ins(...ROWS.map((r) => ins(get(p[r]), xLoadAt, set(xl[r])))),
        ins(get(w), set(q)),
        ...range(m).map((t) => {
          const terms = ROWS.map((r) => ins(xr(r), get(wide ? vv[t][r] : sv[t][r]), mul));
          return ins(get(q), get(q), load, combine(terms, add), add, store, addTo(q, get(OSTEP)));
        }),
      );
    };
    return {
      prologue: ins(
        ins(get(VEC), set(q)),
        ...range(m).map((t) =>
          ins(
            ...ROWS.map((r) =>
              ins(get(q), f64load(F64_BYTES * r), set(sv[t][r]), get(sv[t][r]), splat, set(vv[t][r])),
            ),
            addTo(q, get(VSTEP)),
          ),
        ),
      ),
      wide: ins(...range(pairs).map((h) => update(true, h))),
      middle: [],
      narrow: update(false),
      epilogue: [],
    };
  });
  return [...L.encode(), ...code];
}

/**
 * rowDots over m vectors; here `vec` holds the m coefficient rows c_t (ncols each) and `out` the m result
 * columns (four rows per block). Each row's dot is summed in `acc` f64x2 accumulators over interleaved
 * pairs of columns (accumulator h takes pairs h, h + acc, ...), from +0; then the accumulators are added in
 * order, the two lanes added, and the remaining ncols mod 2 acc columns added one by one. `store` "set"
 * writes the dot, "add" adds it to out.
 */
export function rowDotsBody(m: number, acc: number, store: "set" | "add", x: XType = "f64"): number[] {
  const L = new Locals(PARAMS);
  const sums = range(m).map(() => ROWS.map(() => L.add(V128, acc)));
  const sv = range(m).map(() => L.add(F64, 4));
  const xv = ROWS.map(() => L.add(V128, acc));
  const xs = L.add(F64, 4);
  const [cv] = L.add(V128, 1);
  const [cs] = L.add(F64, 1);
  const code = blockLoop(L, { along: VEC, perBlock: OUT, pairDoubles: 2 * acc, x }, ({ w, q, p }) => {
    const pairAt = (h: number) => xLoad(x, true, 2 * xBytes(x) * h);
    const xWide = (r: number, h: number) => (m === 1 ? ins(get(p[r]), pairAt(h)) : get(xv[r][h]));
    const xOne = (r: number) => (m === 1 ? ins(get(p[r]), xLoad(x, false)) : get(xs[r]));
    const loadX = ROWS.flatMap((r) => range(acc).map((h) => ins(get(p[r]), pairAt(h), set(xv[r][h]))));
    /** sv = lane 0 + lane 1 of (sums[0] + sums[1] + ...). */
    const reduce = (s: number[], out: number) =>
      ins(
        ...s.slice(1).map((h) => ins(get(s[0]), get(h), vadd, set(s[0]))),
        ins(get(s[0]), lane(0), get(s[0]), lane(1), f64add, set(out)),
      );
    const write = (t: number, r: number) =>
      store === "set"
        ? ins(get(q), get(sv[t][r]), f64store(F64_BYTES * r))
        : ins(get(q), get(q), f64load(F64_BYTES * r), get(sv[t][r]), f64add, f64store(F64_BYTES * r));
    return {
      prologue: ins(...sums.flat(2).map((a) => ins(vzero, set(a)))),
      wide: ins(
        m === 1 ? [] : ins(...loadX),
        ins(get(w), set(q)),
        ...range(m).map((t) =>
          ins(
            ...range(acc).map((h) =>
              ins(
                ins(get(q), vload(V128_BYTES * h), set(cv)),
                ...ROWS.map((r) =>
                  ins(get(sums[t][r][h]), xWide(r, h), get(cv), vmul, vadd, set(sums[t][r][h])),
                ),
              ),
            ),
            addTo(q, get(VSTEP)),
          ),
        ),
      ),
      middle: ins(...range(m).flatMap((t) => ROWS.map((r) => reduce(sums[t][r], sv[t][r])))),
      narrow: ins(
        m === 1 ? [] : ins(...ROWS.map((r) => ins(get(p[r]), xLoad(x, false), set(xs[r])))),
        ins(get(w), set(q)),
        ...range(m).map((t) =>
          ins(
            ins(get(q), f64load(), set(cs)),
            ...ROWS.map((r) => ins(get(sv[t][r]), xOne(r), get(cs), f64mul, f64add, set(sv[t][r]))),
            addTo(q, get(VSTEP)),
          ),
        ),
      ),
      epilogue: ins(
        ins(get(OUT), set(q)),
        ...range(m).map((t) => ins(...ROWS.map((r) => write(t, r)), addTo(q, get(OSTEP)))),
      ),
    };
  });
  return [...L.encode(), ...code];
}
