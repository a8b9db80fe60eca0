// The WebAssembly SIMD (f64x2) tangent kernel of the Monte-Carlo solver (the adjoint sweep of js.ts
// `tangentRowsJs` over whole blocks of TANGENT_LANES samples), assembled with asm.ts; exported by the
// kernel module as `tangent(k, groups, N1, cc, dl, rt, p, out)` (byte addresses / counts, see calls.ts).
import {
  addTo,
  anyTrue,
  doublesToBytes,
  doWhile,
  F64_BYTES,
  f64add,
  f64c,
  f64load,
  f64store,
  get,
  I32,
  i32add,
  i32c,
  i32mul,
  i32ne,
  i32sub,
  ifElse,
  ins,
  Locals,
  lane,
  replaceLane,
  set,
  splat,
  subFrom,
  times,
  V128,
  V128_BYTES,
  vadd,
  vload,
  vload64splat,
  vmul,
  vne,
  vor,
  vstore,
  vzero,
  when,
  whileLt,
} from "./asm.js";

/** Samples per block of the tangent kernel (a multiple of 4; 2 per f64x2 vector). */
export const TANGENT_LANES = 8;
const range = (n: number) => Array.from({ length: n }, (_, i) => i);

/** i8x16.shuffle taking the f64 lanes starting at bytes a (first operand) and b (second). */
const shuffle = (a: number, b: number) => [
  0xfd,
  0x0d,
  ...range(8).map((i) => a + i),
  ...range(8).map((i) => b + i),
];

/**
 * The tangent kernel. Per block of `lanes` samples and step k, backwards over rows s: row s is skipped
 * (P[s] = 0) when c_s = 0 for all lanes; else rows s and s-1 are computed together when c_{s-1} is not all
 * zero (one pass over a = k..s+1 feeding two accumulator sets from the same P[a] loads, then
 * P[s] = c_s acc_s and P[s-1] = c_{s-1} (acc_{s-1} + P[s] R[s,s-1])), otherwise row s alone (and
 * P[s-1] = 0 if c_{s-1} is all zero). Every row sums its terms in descending a from +0, so the per-sample
 * arithmetic does not depend on this pairing (which depends on the other lanes' zeros): it is the JS loop's.
 * Then out[s] += (d0 P0 + d2 P2) + (d1 P1 + d3 P3) per run of four samples.
 */
export function tangentBody(lanes: number): number[] {
  const U = lanes / 2;
  const [k, groups, N1, cc, dl, rt, p, out] = range(8);
  const L = new Locals(8);
  const [rowB, grpB, ccEnd, pTop, s, zero, ps, pl, pa, r0, r1, q, two, po, poEnd] = L.add(I32, 15);
  const acc0 = L.add(V128, U);
  const acc1 = L.add(V128, U);
  const d = L.add(V128, U);
  const [R0, R1, pv, e] = L.add(V128, 4);
  const wB = F64_BYTES * lanes;
  const dec = (x: number, n: number) => subFrom(x, i32c(n));
  /** The P slot at `slot` := c of the block's samples at row `row` (read down the sample-major history). */
  const gather = (row: number[], slot: number) =>
    ins(
      ins(get(cc), row, doublesToBytes, i32add, set(q)),
      ...range(U).map((u) =>
        ins(
          get(slot),
          ins(get(q), f64load(), splat, get(q), get(rowB), i32add, f64load(), replaceLane(1)),
          vstore(V128_BYTES * u),
          ins(get(q), get(rowB), times(2), i32add, set(q)),
        ),
      ),
    );
  /** Slots ps, pl := c at rows s, s-1 (s >= 1): one 16-byte load per sample, lanes regrouped by shuffles. */
  const gather2 = ins(
    ins(get(cc), get(s), doublesToBytes, i32add, i32c(F64_BYTES), i32sub, set(q)),
    ...range(U).map((u) =>
      ins(
        ins(get(q), vload(), set(R0), get(q), get(rowB), i32add, vload(), set(R1)),
        ins(get(ps), get(R0), get(R1), shuffle(8, 24), vstore(V128_BYTES * u)),
        ins(get(pl), get(R0), get(R1), shuffle(0, 16), vstore(V128_BYTES * u)),
        ins(get(q), get(rowB), times(2), i32add, set(q)),
      ),
    ),
  );
  const nonzero = (slot: number) =>
    ins(...range(U).map((u) => ins(get(slot), vload(V128_BYTES * u), vzero, vne, u > 0 ? vor : [])), anyTrue);
  const clear = (slot: number) => ins(...range(U).map((u) => ins(get(slot), vzero, vstore(V128_BYTES * u))));
  /** P[row] := c_row (in the slot) * acc. */
  const finish = (slot: number, acc: number[]) =>
    ins(
      ...acc.map((a, u) =>
        ins(get(slot), get(slot), vload(V128_BYTES * u), get(a), vmul, vstore(V128_BYTES * u)),
      ),
    );
  /** acc0 (acc1) := sum_{a=k..s+1} P[a] R[a,s] (R[a,s-1]), descending from +0; then P[s] (r1 at R[s,s-1]). */
  const rows = (both: boolean) =>
    ins(
      ins(get(rt), get(s), get(rowB), i32mul, i32add, get(k), doublesToBytes, i32add, set(r0)),
      both ? ins(get(r0), get(rowB), i32sub, set(r1)) : [],
      // a = k (P[k] = 1): acc = 0 + R[k,s], as the JS loop's first term 0 + 1 R[k,s].
      ins(vzero, get(r0), vload64splat(), vadd, set(R0), ...acc0.map((a) => ins(get(R0), set(a)))),
      both
        ? ins(vzero, get(r1), vload64splat(), vadd, set(R1), ...acc1.map((a) => ins(get(R1), set(a))))
        : [],
      ins(get(pTop), i32c(wB), i32sub, set(pa)),
      dec(r0, F64_BYTES),
      both ? dec(r1, F64_BYTES) : [],
      when(
        ins(get(pa), get(ps), i32ne),
        doWhile(
          ins(
            ins(get(r0), vload64splat(), set(R0)),
            both ? ins(get(r1), vload64splat(), set(R1)) : [],
            ...range(U).map((u) =>
              ins(
                ins(get(pa), vload(V128_BYTES * u), set(pv)),
                ins(get(acc0[u]), get(pv), get(R0), vmul, vadd, set(acc0[u])),
                both ? ins(get(acc1[u]), get(pv), get(R1), vmul, vadd, set(acc1[u])) : [],
              ),
            ),
            dec(pa, wB),
            dec(r0, F64_BYTES),
            both ? dec(r1, F64_BYTES) : [],
          ),
          ins(get(pa), get(ps), i32ne),
        ),
      ),
      finish(ps, acc0),
    );
  const pair = ins(
    rows(true),
    ins(get(r1), vload64splat(), set(R1)),
    ...acc1.map((a, u) => ins(get(a), get(ps), vload(V128_BYTES * u), get(R1), vmul, vadd, set(a))),
    finish(pl, acc1),
  );
  /** Row s (ps = its P slot; pl = the slot of s-1), then s-1 in the same pass or zeroed when possible. */
  const row = ins(
    dec(s, 1),
    dec(ps, wB),
    ins(get(ps), i32c(wB), i32sub, set(pl)),
    ifElse(get(s), gather2, gather(get(s), ps)),
    ifElse(
      nonzero(ps),
      ins(
        ins(i32c(0), set(two)),
        when(get(s), ins(nonzero(pl), set(two))),
        ifElse(get(two), pair, ins(rows(false), when(get(s), clear(pl)))),
        when(get(s), ins(dec(s, 1), dec(ps, wB))),
      ),
      clear(ps),
    ),
  );
  /** out[s] += (d0 P0 + d2 P2) + (d1 P1 + d3 P3) for the h-th run of four samples, as in the JS loop. */
  const run = (h: number) =>
    ins(
      ins(
        get(d[2 * h]),
        get(ps),
        vload(2 * V128_BYTES * h),
        vmul,
        get(d[2 * h + 1]),
        get(ps),
        vload(2 * V128_BYTES * h + V128_BYTES),
        vmul,
      ),
      ins(vadd, set(e), get(po), get(po), f64load(), get(e), lane(0), get(e), lane(1), f64add, f64add),
      f64store(),
    );
  const code = ins(
    ins(get(N1), doublesToBytes, set(rowB)),
    ins(get(rowB), i32c(lanes), i32mul, set(grpB)),
    ins(get(cc), get(groups), get(grpB), i32mul, i32add, set(ccEnd)),
    ins(get(p), get(k), i32c(wB), i32mul, i32add, set(pTop)),
    whileLt(
      cc,
      ccEnd,
      ins(
        ins(get(pTop), set(ps)),
        ...range(U).map((u) => ins(get(ps), f64c(1), splat, vstore(V128_BYTES * u))),
        ins(get(k), set(s)),
        whileLt(zero, s, row),
        ...d.map((dv, u) => ins(get(dl), vload(V128_BYTES * u), set(dv))),
        ins(get(p), set(ps), get(out), set(po)),
        ins(get(out), get(k), i32c(1), i32add, doublesToBytes, i32add, set(poEnd)),
        whileLt(po, poEnd, ins(...range(U / 2).map(run), addTo(ps, i32c(wB)), addTo(po, i32c(F64_BYTES)))),
        addTo(cc, get(grpB)),
        addTo(dl, i32c(wB)),
      ),
    ),
    [0x0b],
  );
  return [...L.encode(), ...code];
}
