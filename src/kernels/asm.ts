// A minimal WebAssembly (core + SIMD f64x2) encoder for the hand-assembled kernels of src/kernels/, no
// toolchain needed: LEB128 and section encoding, the instructions the kernels use, structured-loop helpers,
// named locals, and a module builder (one imported linear memory "env"."mem", exported functions with i32
// parameters).

export const I32 = 0x7f;
export const F64 = 0x7c;
export const V128 = 0x7b;

export function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n !== 0) b |= 0x80;
    out.push(b);
  } while (n !== 0);
  return out;
}

export const vec = (items: number[][]): number[] => [...uleb(items.length), ...items.flat()];
export const section = (id: number, body: number[]): number[] => [id, ...uleb(body.length), ...body];
export const str = (s: string): number[] => [...uleb(s.length), ...Array.from(s, (c) => c.charCodeAt(0))];

// Instructions (opcodes from the WebAssembly core and SIMD specifications).
export const get = (i: number) => [0x20, ...uleb(i)];
export const set = (i: number) => [0x21, ...uleb(i)];
/** i32.const with a signed LEB128 immediate. */
export function i32c(v: number): number[] {
  const out = [0x41];
  for (;;) {
    const b = v & 0x7f;
    v >>= 7;
    const done = (v === 0 && (b & 0x40) === 0) || (v === -1 && (b & 0x40) !== 0);
    out.push(done ? b : b | 0x80);
    if (done) return out;
  }
}
/** f64.const (little-endian IEEE bytes). */
export function f64c(x: number): number[] {
  return [0x44, ...new Uint8Array(new Float64Array([x]).buffer)];
}
export const i32add = [0x6a];
export const i32sub = [0x6b];
export const i32mul = [0x6c];
export const i32and = [0x71];
export const i32shl = [0x74];
export const i32ne = [0x47];
const i32geu = [0x4f];
export const f64add = [0xa0];
export const f64sub = [0xa1];
export const f64mul = [0xa2];
export const f64load = (off = 0) => [0x2b, 3, ...uleb(off)];
export const f32load = (off = 0) => [0x2a, 2, ...uleb(off)];
/** f64.promote_f32 */
export const promoteF32 = [0xbb];
export const f64store = (off = 0) => [0x39, 3, ...uleb(off)];
export const vload = (off = 0) => [0xfd, 0x00, 3, ...uleb(off)];
export const vload64splat = (off = 0) => [0xfd, 0x0a, 3, ...uleb(off)];
/** v128.load64_zero: 8 bytes into the low half, the high half zero. */
export const vload64zero = (off = 0) => [0xfd, 0x5d, 3, ...uleb(off)];
/** f64x2.promote_low_f32x4: the two low floats as doubles. */
export const promoteLowF32x2 = [0xfd, 0x5f];
export const vstore = (off = 0) => [0xfd, 0x0b, 3, ...uleb(off)];
export const splat = [0xfd, 0x14];
export const lane = (k: number) => [0xfd, 0x21, k];
export const replaceLane = (k: number) => [0xfd, 0x22, k];
export const vne = [0xfd, 0x48];
export const vor = [0xfd, 0x50];
export const anyTrue = [0xfd, 0x53];
export const vadd = [0xfd, 0xf0, 0x01];
export const vmul = [0xfd, 0xf2, 0x01];
export const vzero = [0xfd, 0x0c, ...new Array(16).fill(0)];
/** One statement: a flat sequence of instructions. */
export const ins = (...parts: number[][]): number[] => parts.flat();
/** `while (!(get(a) >= get(b))) { body }` as block/loop (unsigned compare). */
export const whileLt = (a: number, b: number, body: number[]) =>
  ins([0x02, 0x40, 0x03, 0x40], get(a), get(b), i32geu, [0x0d, 1], body, [0x0c, 0, 0x0b, 0x0b]);
/** `if (cond) { then } else { otherwise }`; `cond` leaves an i32 on the stack. */
export const ifElse = (cond: number[], then: number[], otherwise: number[]) =>
  ins(cond, [0x04, 0x40], then, [0x05], otherwise, [0x0b]);
/** `if (cond) { then }` */
export const when = (cond: number[], then: number[]) => ins(cond, [0x04, 0x40], then, [0x0b]);
/** `do { body } while (cond)`; `cond` leaves an i32 on the stack. */
export const doWhile = (body: number[], cond: number[]) => ins([0x03, 0x40], body, cond, [0x0d, 0], [0x0b]);
export const addTo = (i: number, k: number[]) => ins(get(i), k, i32add, set(i));
export const subFrom = (i: number, k: number[]) => ins(get(i), k, i32sub, set(i));
/** local[i] = local[a] + local[b] */
export const sum = (i: number, a: number, b: number) => ins(get(a), get(b), i32add, set(i));
/** Multiplies the i32 on the stack by `n`, a power of two (a shift; names the byte sizes it scales by). */
export function times(n: number): number[] {
  const shift = Math.log2(n);
  if (!Number.isInteger(shift) || shift < 1) throw new Error(`times: ${n} is not a power of two >= 2`);
  return ins(i32c(shift), i32shl);
}
/** Bytes per f64, per f64x2 vector. */
export const F64_BYTES = 8;
export const F32_BYTES = 4;
export const V128_BYTES = 16;
/** The i32 on the stack, a count of doubles, as bytes. */
export const doublesToBytes = times(F64_BYTES);

/** Declares locals after the parameters and hands out their indices. */
export class Locals {
  private readonly types: number[] = [];
  constructor(private readonly nParams: number) {}
  add(type: number, count = 1): number[] {
    const first = this.nParams + this.types.length;
    for (let c = 0; c < count; c++) this.types.push(type);
    return Array.from({ length: count }, (_, c) => first + c);
  }
  /** The locals declaration (runs of equal types) that starts a function body. */
  encode(): number[] {
    const runs: number[][] = [];
    for (const t of this.types) {
      const last = runs[runs.length - 1];
      if (last && last[1] === t) last[0]++;
      else runs.push([1, t]);
    }
    return vec(runs.map(([n, t]) => [...uleb(n), t]));
  }
}

export interface WasmFunction {
  name: string;
  /** Number of i32 parameters. */
  params: number;
  /** The body: locals declaration followed by the code, ending with `end` (0x0b). */
  body: number[];
}

/** A module importing one linear memory ("env"."mem", at least one page) and exporting `fns`. */
export function wasmModuleBytes(fns: WasmFunction[]): Uint8Array<ArrayBuffer> {
  const types = fns.map((f) => [0x60, ...vec(new Array(f.params).fill([I32])), 0]);
  const bytes = [
    ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00],
    ...section(1, vec(types)),
    ...section(2, vec([[...str("env"), ...str("mem"), 0x02, 0x00, 0x01]])),
    ...section(3, vec(fns.map((_, i) => uleb(i)))),
    ...section(7, vec(fns.map((f, i) => [...str(f.name), 0x00, ...uleb(i)]))),
    ...section(10, vec(fns.map((f) => [...uleb(f.body.length), ...f.body]))),
  ];
  return new Uint8Array(bytes);
}
