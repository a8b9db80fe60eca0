// Calling side of the kernel library for arrays the caller owns (the Monte-Carlo solver): arenas and the
// wrappers that run a kernel in WebAssembly when its arrays live in one kernel memory, else the JS loops.
// WebAssembly cannot see ordinary Float64Arrays, so arrays the kernels should work on in place are
// allocated from a `WasmArena` (or by `wasmArrays`): one linear memory with one kernel instance. The
// tangent kernel also accepts ordinary arrays (it copies them into a per-thread scratch memory: O(M N)
// per call, 10-20% of its work at N = 100); the dot wrappers run in place when all their arrays share one
// arena, and otherwise run the JS loops of js.ts (a copy would cost as much as the work). Every wrapper
// records in loader.ts which implementation ran.
import { MAX_BLOCK } from "./dense.js";
import { colDotsJs, type DenseX, rowDotsJs, type TangentRow } from "./js.js";
import { instanceOf, instantiate, type KernelInstance, ran, wasmEnabled } from "./loader.js";
import { TANGENT_LANES } from "./tangent.js";

/** Doubles that n floats take in an arena (WasmArena.f32; pass it to arenaDoubles). */
export const floatDoubles = (n: number) => Math.ceil(n / 2);

/** The memory of this thread's last released WasmArena, for the next one. */
let spare: WebAssembly.Memory | null = null;

/** Doubles taken by arrays of these lengths in an arena (each starts 16-byte aligned). */
export function arenaDoubles(...lengths: number[]): number {
  return lengths.reduce((a, n) => a + n + (n & 1), 0);
}

/**
 * Zero-filled Float64Arrays carved out of one fixed-size WebAssembly memory, so that the kernels can work
 * on them in place (plain Float64Arrays when the WebAssembly kernels are unavailable or `doubles` exceeds
 * 2 GiB). The memory never grows, so the arrays stay valid; size it with `arenaDoubles`.
 */
export class WasmArena {
  private mem: WebAssembly.Memory | null;
  private top = 0;

  constructor(readonly doubles: number) {
    const bytes = 8 * doubles;
    const old = spare;
    spare = null;
    const size = old?.buffer.byteLength ?? 0;
    if (old && size >= bytes && size <= 2 * bytes + 2 ** 20 && wasmEnabled()) {
      this.mem = old;
      new Uint8Array(old.buffer, 0, bytes).fill(0);
    } else this.mem = instantiate(bytes)?.mem ?? null;
  }

  /**
   * Hands the memory to the next WasmArena of this thread; none of this arena's arrays may be used
   * afterwards. Memory the process has touched before is much cheaper than fresh pages (measured: a
   * tangent sweep over freshly allocated memory stays ~1.4x slower than over reused memory).
   */
  release(): void {
    if (this.mem) spare = this.mem;
    this.mem = null;
  }

  f64(n: number): Float64Array {
    if (!this.mem) return new Float64Array(n);
    if (this.top + n > this.doubles) throw new RangeError("WasmArena: capacity exceeded");
    const a = new Float64Array(this.mem.buffer, 8 * this.top, n);
    this.top += n + (n & 1);
    return a;
  }

  /** n floats, taking floatDoubles(n) of the arena's doubles. */
  f32(n: number): Float32Array {
    if (!this.mem) return new Float32Array(n);
    const d = floatDoubles(n);
    if (this.top + d > this.doubles) throw new RangeError("WasmArena: capacity exceeded");
    const a = new Float32Array(this.mem.buffer, 8 * this.top, n);
    this.top += d + (d & 1);
    return a;
  }
}

/** Zero-filled Float64Arrays of the given lengths in one new `WasmArena`. */
export function wasmArrays(...lengths: number[]): Float64Array[] {
  const arena = new WasmArena(arenaDoubles(...lengths));
  return lengths.map((n) => arena.f64(n));
}

/** The kernel instance owning all of `arrays` (same WebAssembly memory), if any. */
export function sharedInstance(...arrays: DenseX[]): KernelInstance | undefined {
  const ex = instanceOf(arrays[0].buffer);
  return ex && arrays.every((a) => a.buffer === arrays[0].buffer) ? ex : undefined;
}

/** Whether the kernels can work in place on all of `arrays` (they share one arena). */
export function sameArena(...arrays: Float64Array[]): boolean {
  return sharedInstance(...arrays) !== undefined;
}

let scratch: { ex: KernelInstance; buf: Float64Array; size: number } | null | undefined;

/** A per-thread scratch memory of at least `doubles` doubles (grown by replacing it). */
function scratchOf(doubles: number): { ex: KernelInstance; buf: Float64Array } | null {
  if (scratch === null || !wasmEnabled()) return null;
  if (scratch === undefined || scratch.size < doubles) {
    const size = Math.max(doubles, 2 * (scratch?.size ?? 0));
    const inst = instantiate(8 * size);
    if (!inst) {
      scratch = null;
      return null;
    }
    scratch = { ex: inst.ex, buf: new Float64Array(inst.mem.buffer, 0, size), size };
  }
  return scratch;
}

/**
 * The SIMD part of a TangentRow (js.ts): accumulates into out[0..k] (already zeroed) the contributions of
 * samples 0..G-1 with G = TANGENT_LANES * floor(M / TANGENT_LANES), and returns G (0 if WebAssembly is
 * unavailable); the caller handles samples G..M-1 in JS. In place when Cc, dl, Rt, P and out share one
 * `wasmArrays` memory and P is long enough; otherwise through the scratch memory.
 */
export function tangentRowSimd(row: TangentRow): number {
  const { k, M, N1, Cc, dl, Rt, P, out } = row;
  const groups = Math.floor(M / TANGENT_LANES);
  const G = groups * TANGENT_LANES;
  if (groups === 0) return 0;
  const pLen = TANGENT_LANES * (k + 1);
  const own = P.length >= pLen ? sharedInstance(Cc, dl, Rt, P, out) : undefined;
  if (own) {
    own.tangent(k, groups, N1, Cc.byteOffset, dl.byteOffset, Rt.byteOffset, P.byteOffset, out.byteOffset);
    ran("tangent", true);
    return G;
  }
  // Copy: Cc rows 0..G-1 (columns < k are read), Rt rows 0..k-1, dl; then P and out.
  const nCc = G * N1;
  const nRt = k * N1;
  const sc = scratchOf(nCc + nRt + G + pLen + k + 1 + 8);
  ran("tangent", sc !== null);
  if (!sc) return 0;
  const { buf, ex } = sc;
  const at = (off: number) => 8 * off;
  let off = 0;
  buf.set(Cc.subarray(0, nCc), off);
  const ccOff = off;
  off += nCc;
  const rtOff = off;
  buf.set(Rt.subarray(0, nRt), off);
  off += nRt;
  off += off & 1;
  const dlOff = off;
  buf.set(dl.subarray(0, G), off);
  off += G;
  off += off & 1;
  const pOff = off;
  off += pLen;
  const outOff = off;
  buf.fill(0, outOff, outOff + k + 1);
  ex.tangent(k, groups, N1, at(ccOff), at(dlOff), at(rtOff), at(pOff), at(outOff));
  out.set(buf.subarray(outOff, outOff + k + 1));
  return G;
}

/** A dense product over m vectors: (X, M, stride, ncols, m, vectors, vstep, out, ostep), see below. */
type DotsBlock = (
  X: DenseX,
  M: number,
  stride: number,
  ncols: number,
  m: number,
  V: Float64Array,
  vstep: number,
  out: Float64Array,
  ostep: number,
) => void;

/** colDotsBlock or rowDotsBlock: kernel passes over whole four-row blocks, then the JS loops for the rest. */
function dotsBlock(kind: "colDots" | "rowDots"): DotsBlock {
  return (X, M, stride, ncols, m, V, vstep, out, ostep) => {
    const quads = Math.floor(M / 4);
    const ex = quads > 0 && ncols > 0 ? sharedInstance(X, V, out) : undefined;
    if (quads > 0 && ncols > 0) ran("dots", ex !== undefined);
    const kernels = ex && (X instanceof Float32Array ? ex[`${kind}32`] : ex[kind]);
    for (let t = 0; kernels && t < m; t += MAX_BLOCK) {
      const v = V.byteOffset + 8 * t * vstep;
      const o = out.byteOffset + 8 * t * ostep;
      kernels[Math.min(MAX_BLOCK, m - t)](X.byteOffset, v, o, quads, stride, ncols, 8 * vstep, 8 * ostep);
    }
    // The rows after the last whole block (all rows without a kernel), one vector at a time.
    const from = ex ? 4 * quads : 0;
    if (from === M) return;
    const vLen = kind === "colDots" ? M : ncols;
    const oLen = kind === "colDots" ? ncols : M;
    for (let t = 0; t < m; t++) {
      const v = V.subarray(t * vstep, t * vstep + vLen);
      const o = out.subarray(t * ostep, t * ostep + oLen);
      if (kind === "colDots") colDotsJs(from, X, M, stride, ncols, v, o);
      else rowDotsJs(from, X, M, stride, ncols, v, o, "add");
    }
  };
}

/**
 * colDots for m vectors in one pass over X: out[t*ostep + j] += sum_i X[i*stride + j] V[t*vstep + i] for
 * i < M, j < ncols, t < m. Whole four-row blocks run in the SIMD kernel (at most MAX_BLOCK vectors per
 * pass) when X, V and out share one arena, bit-identical to the JS loop colDotsJs; the rest in colDotsJs.
 */
export const colDotsBlock = dotsBlock("colDots");

/**
 * rowDots for m coefficient vectors C in one pass over X: out[t*ostep + i] += X[i*stride + 0..ncols-1] .
 * C[t*cstep + 0..ncols-1] for i < M, t < m (cstep in the vstep slot). Whole four-row blocks run in the
 * SIMD kernel when X, C and out share one arena (pairwise lane sums: rounding-level differences from the
 * JS loop), the rest in rowDotsJs.
 */
export const rowDotsBlock = dotsBlock("rowDots");

/** colDotsBlock for one vector: out[j] += sum_i X[i*stride + j] v_i. */
export const colDots = (
  X: DenseX,
  M: number,
  stride: number,
  ncols: number,
  v: Float64Array,
  out: Float64Array,
) => colDotsBlock(X, M, stride, ncols, 1, v, 0, out, 0);

/** rowDotsBlock for one vector: out_i += X[i*stride + 0..ncols-1] . c. */
export const rowDots = (
  X: DenseX,
  M: number,
  stride: number,
  ncols: number,
  c: Float64Array,
  out: Float64Array,
) => rowDotsBlock(X, M, stride, ncols, 1, c, 0, out, 0);

export { MAX_BLOCK, TANGENT_LANES };
