// WebAssembly SIMD (f64x2) bodies of the Monte-Carlo solver's hot loops, assembled with src/util/wasm.ts.
// All arguments are byte addresses / counts in one linear memory (see wasm.ts for the calling side):
//   tangent(k, groups, N1, cc, dl, rt, p, out): predictionResponseRow over `groups` blocks of TANGENT_LANES
//     samples (body in wasmTangent.ts; bit-identical to the JS loop).
//   colDots(x, v, out, quads, stride, ncols): out[j] += sum_i X[i,j] v_i over four-row blocks (JS order:
//     bit-identical to colDotsJs).
//   rowDots(x, c, out, quads, stride, ncols, mode): out_i (mode 0: =, 1: -=, 2: +=) X[i, 0..ncols-1] . c
//     (pairwise lane sums: differs from rowDotsJs at rounding level).
//   colDotsM / rowDotsM for M = 2..MAX_BLOCK: the same over M vectors in one pass over X (Gram–Schmidt of
//     a block of new columns): colDotsM(x, v, out, quads, stride, ncols, vstep, ostep): out_t[j] += sum_i
//     X[i,j] v_t[i] (same order as colDots per vector); rowDotsM(x, c, out, quads, stride, ncols, cstep,
//     ostep): out_t[i] += X[i, 0..ncols-1] . c_t. Vector t starts t * step bytes after the first.
import {
  addTo,
  F64,
  f64add,
  f64load,
  f64mul,
  f64store,
  f64sub,
  get,
  I32,
  i32add,
  i32and,
  i32c,
  i32eq,
  i32shl,
  ifElse,
  ins,
  Locals,
  lane,
  set,
  splat,
  sum,
  V128,
  vadd,
  vload,
  vmul,
  vstore,
  vzero,
  type WasmFunction,
  wasmModuleBytes,
  whileLt,
} from "../../util/wasm.js";
import { TANGENT_LANES, tangentBody } from "./wasmTangent.js";

export { TANGENT_LANES };

/** Largest number of vectors handled by one colDotsM / rowDotsM pass. */
export const MAX_BLOCK = 3;

const range = (n: number) => Array.from({ length: n }, (_, i) => i);

/** Pointers p[r] = z + r * stride bytes to four consecutive rows. */
const rows4 = (p: number[], z: number, strB: number) =>
  ins(get(z), set(p[0]), ...[1, 2, 3].map((r) => sum(p[r], p[r - 1], strB)));

function colDotsBody(): number[] {
  const [z, v, dots, quads, stride, ncols] = range(6);
  const L = new Locals(6);
  const [strB, vEnd, pd, pdPairs, pdEnd] = L.add(I32, 5);
  const p = L.add(I32, 4);
  const vv = L.add(V128, 4);
  const sv = L.add(F64, 4);
  const wide = (off: number) =>
    ins(
      get(pd),
      get(pd),
      vload(off),
      ...[0, 1, 2, 3].map((r) => ins(get(p[r]), vload(off), get(vv[r]), vmul, r > 0 ? vadd : [])),
      vadd,
      vstore(off),
    );
  const code = ins(
    ins(get(stride), i32c(3), i32shl, set(strB)),
    ins(get(quads), i32c(5), i32shl, get(v), i32add, set(vEnd)),
    ins(get(ncols), i32c(-2), i32and, i32c(3), i32shl, get(dots), i32add, set(pdPairs)),
    ins(get(ncols), i32c(3), i32shl, get(dots), i32add, set(pdEnd)),
    whileLt(
      v,
      vEnd,
      ins(
        ...[0, 1, 2, 3].map((r) => ins(get(v), f64load(8 * r), set(sv[r]), get(sv[r]), splat, set(vv[r]))),
        rows4(p, z, strB),
        ins(get(dots), set(pd)),
        whileLt(pd, pdPairs, ins(wide(0), ...p.map((q) => addTo(q, i32c(16))), addTo(pd, i32c(16)))),
        whileLt(
          pd,
          pdEnd,
          ins(
            get(pd),
            get(pd),
            f64load(),
            ...[0, 1, 2, 3].map((r) => ins(get(p[r]), f64load(), get(sv[r]), f64mul, r > 0 ? f64add : [])),
            f64add,
            f64store(),
            ...p.map((q) => addTo(q, i32c(8))),
            addTo(pd, i32c(8)),
          ),
        ),
        ins(get(z), get(strB), i32c(2), i32shl, i32add, set(z)),
        addTo(v, i32c(32)),
      ),
    ),
    [0x0b],
  );
  return [...L.encode(), ...code];
}

function rowDotsBody(): number[] {
  const [z, dots, v, quads, stride, ncols, mode] = range(7);
  const L = new Locals(7);
  const [strB, vEnd, pd, pdPairs, pdEnd] = L.add(I32, 5);
  const p = L.add(I32, 4);
  const acc = L.add(V128, 4);
  const sv = L.add(F64, 4);
  const [t] = L.add(V128, 1);
  const [x] = L.add(F64, 1);
  const code = ins(
    ins(get(stride), i32c(3), i32shl, set(strB)),
    ins(get(quads), i32c(5), i32shl, get(v), i32add, set(vEnd)),
    ins(get(ncols), i32c(-2), i32and, i32c(3), i32shl, get(dots), i32add, set(pdPairs)),
    ins(get(ncols), i32c(3), i32shl, get(dots), i32add, set(pdEnd)),
    whileLt(
      v,
      vEnd,
      ins(
        ...acc.map((a) => ins(vzero, set(a))),
        rows4(p, z, strB),
        ins(get(dots), set(pd)),
        whileLt(
          pd,
          pdPairs,
          ins(
            ins(get(pd), vload(), set(t)),
            ...acc.map((a, r) => ins(get(a), get(p[r]), vload(), get(t), vmul, vadd, set(a))),
            ...p.map((q) => addTo(q, i32c(16))),
            addTo(pd, i32c(16)),
          ),
        ),
        ...acc.map((a, r) => ins(get(a), lane(0), get(a), lane(1), f64add, set(sv[r]))),
        whileLt(
          pd,
          pdEnd,
          ins(
            ins(get(pd), f64load(), set(x)),
            ...sv.map((sr, r) => ins(get(sr), get(p[r]), f64load(), get(x), f64mul, f64add, set(sr))),
            ...p.map((q) => addTo(q, i32c(8))),
            addTo(pd, i32c(8)),
          ),
        ),
        ifElse(
          ins(get(mode), i32c(0), i32eq),
          ins(...sv.map((sr, r) => ins(get(v), get(sr), f64store(8 * r)))),
          ifElse(
            ins(get(mode), i32c(1), i32eq),
            ins(...sv.map((sr, r) => ins(get(v), get(v), f64load(8 * r), get(sr), f64sub, f64store(8 * r)))),
            ins(...sv.map((sr, r) => ins(get(v), get(v), f64load(8 * r), get(sr), f64add, f64store(8 * r)))),
          ),
        ),
        ins(get(z), get(strB), i32c(2), i32shl, i32add, set(z)),
        addTo(v, i32c(32)),
      ),
    ),
    [0x0b],
  );
  return [...L.encode(), ...code];
}

/** colDots over `m` vectors at once (see the header). */
function colDotsMultiBody(m: number): number[] {
  const [z, v, dots, quads, stride, ncols, vstep, ostep] = range(8);
  const L = new Locals(8);
  const [strB, vEnd, pd, pdPairs, pdEnd, q] = L.add(I32, 6);
  const p = L.add(I32, 4);
  const vv = range(m).map(() => L.add(V128, 4));
  const sv = range(m).map(() => L.add(F64, 4));
  const x = L.add(V128, 4);
  const xs = L.add(F64, 4);
  const code = ins(
    ins(get(stride), i32c(3), i32shl, set(strB)),
    ins(get(quads), i32c(5), i32shl, get(v), i32add, set(vEnd)),
    ins(get(ncols), i32c(-2), i32and, i32c(3), i32shl, get(dots), i32add, set(pdPairs)),
    ins(get(ncols), i32c(3), i32shl, get(dots), i32add, set(pdEnd)),
    whileLt(
      v,
      vEnd,
      ins(
        ins(get(v), set(q)),
        ...range(m).map((t) =>
          ins(
            ...[0, 1, 2, 3].map((r) =>
              ins(get(q), f64load(8 * r), set(sv[t][r]), get(sv[t][r]), splat, set(vv[t][r])),
            ),
            addTo(q, get(vstep)),
          ),
        ),
        rows4(p, z, strB),
        ins(get(dots), set(pd)),
        whileLt(
          pd,
          pdPairs,
          ins(
            ...x.map((xr, r) => ins(get(p[r]), vload(), set(xr))),
            ins(get(pd), set(q)),
            ...range(m).map((t) =>
              ins(
                get(q),
                get(q),
                vload(),
                ...[0, 1, 2, 3].map((r) => ins(get(x[r]), get(vv[t][r]), vmul, r > 0 ? vadd : [])),
                vadd,
                vstore(),
                addTo(q, get(ostep)),
              ),
            ),
            ...p.map((pr) => addTo(pr, i32c(16))),
            addTo(pd, i32c(16)),
          ),
        ),
        whileLt(
          pd,
          pdEnd,
          ins(
            ...xs.map((xr, r) => ins(get(p[r]), f64load(), set(xr))),
            ins(get(pd), set(q)),
            ...range(m).map((t) =>
              ins(
                get(q),
                get(q),
                f64load(),
                ...[0, 1, 2, 3].map((r) => ins(get(xs[r]), get(sv[t][r]), f64mul, r > 0 ? f64add : [])),
                f64add,
                f64store(),
                addTo(q, get(ostep)),
              ),
            ),
            ...p.map((pr) => addTo(pr, i32c(8))),
            addTo(pd, i32c(8)),
          ),
        ),
        ins(get(z), get(strB), i32c(2), i32shl, i32add, set(z)),
        addTo(v, i32c(32)),
      ),
    ),
    [0x0b],
  );
  return [...L.encode(), ...code];
}

/** rowDots (mode add) over `m` coefficient vectors at once (see the header). */
function rowDotsMultiBody(m: number): number[] {
  const [z, dots, v, quads, stride, ncols, cstep, ostep] = range(8);
  const L = new Locals(8);
  const [strB, vEnd, pd, pdPairs, pdEnd, q] = L.add(I32, 6);
  const p = L.add(I32, 4);
  const acc = range(m).map(() => L.add(V128, 4));
  const sv = range(m).map(() => L.add(F64, 4));
  const x = L.add(V128, 4);
  const xs = L.add(F64, 4);
  const [t2] = L.add(V128, 1);
  const [c1] = L.add(F64, 1);
  const code = ins(
    ins(get(stride), i32c(3), i32shl, set(strB)),
    ins(get(quads), i32c(5), i32shl, get(v), i32add, set(vEnd)),
    ins(get(ncols), i32c(-2), i32and, i32c(3), i32shl, get(dots), i32add, set(pdPairs)),
    ins(get(ncols), i32c(3), i32shl, get(dots), i32add, set(pdEnd)),
    whileLt(
      v,
      vEnd,
      ins(
        ...acc.flat().map((a) => ins(vzero, set(a))),
        rows4(p, z, strB),
        ins(get(dots), set(pd)),
        whileLt(
          pd,
          pdPairs,
          ins(
            ...x.map((xr, r) => ins(get(p[r]), vload(), set(xr))),
            ins(get(pd), set(q)),
            ...range(m).map((t) =>
              ins(
                ins(get(q), vload(), set(t2)),
                ...acc[t].map((a, r) => ins(get(a), get(x[r]), get(t2), vmul, vadd, set(a))),
                addTo(q, get(cstep)),
              ),
            ),
            ...p.map((pr) => addTo(pr, i32c(16))),
            addTo(pd, i32c(16)),
          ),
        ),
        ...range(m).flatMap((t) =>
          acc[t].map((a, r) => ins(get(a), lane(0), get(a), lane(1), f64add, set(sv[t][r]))),
        ),
        whileLt(
          pd,
          pdEnd,
          ins(
            ...xs.map((xr, r) => ins(get(p[r]), f64load(), set(xr))),
            ins(get(pd), set(q)),
            ...range(m).map((t) =>
              ins(
                ins(get(q), f64load(), set(c1)),
                ...sv[t].map((sr, r) => ins(get(sr), get(xs[r]), get(c1), f64mul, f64add, set(sr))),
                addTo(q, get(cstep)),
              ),
            ),
            ...p.map((pr) => addTo(pr, i32c(8))),
            addTo(pd, i32c(8)),
          ),
        ),
        ins(get(v), set(q)),
        ...range(m).map((t) =>
          ins(
            ...sv[t].map((sr, r) => ins(get(q), get(q), f64load(8 * r), get(sr), f64add, f64store(8 * r))),
            addTo(q, get(ostep)),
          ),
        ),
        ins(get(z), get(strB), i32c(2), i32shl, i32add, set(z)),
        addTo(v, i32c(32)),
      ),
    ),
    [0x0b],
  );
  return [...L.encode(), ...code];
}

export function kernelModuleBytes(): Uint8Array<ArrayBuffer> {
  const fns: WasmFunction[] = [
    { name: "tangent", params: 8, body: tangentBody(TANGENT_LANES) },
    { name: "colDots", params: 6, body: colDotsBody() },
    { name: "rowDots", params: 7, body: rowDotsBody() },
    ...range(MAX_BLOCK + 1)
      .slice(2)
      .flatMap((m) => [
        { name: `colDots${m}`, params: 8, body: colDotsMultiBody(m) },
        { name: `rowDots${m}`, params: 8, body: rowDotsMultiBody(m) },
      ]),
  ];
  return wasmModuleBytes(fns);
}
