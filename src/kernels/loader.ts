// The kernel library's one WebAssembly module (bodies in dense.ts and tangent.ts), compiled once per
// thread and instantiated per linear memory. A failed compile (no WebAssembly, or no SIMD) is kept and
// reported in the results' `meta.kernels`; the callers then run the JS loops of js.ts. DMFTKIT_KERNELS=js
// (or useKernels("js"), for tests) forces the JS loops. Each thread records which implementation every
// kernel family ran; the solver and the simulator collect these records into `meta.kernels`.
import { type WasmFunction, wasmModuleBytes } from "./asm.js";
import { colDotsBody, MAX_BLOCK, rowDotsBody } from "./dense.js";
import { TANGENT_LANES, tangentBody } from "./tangent.js";

type Kernel = (...args: number[]) => void;

/** The module's functions (all arguments are byte addresses or counts in the instance's memory). */
export interface KernelInstance {
  /** tangent(k, groups, N1, cc, dl, rt, p, out): see tangent.ts. */
  tangent: Kernel;
  /** colDots[m], rowDots[m] for m = 1..MAX_BLOCK vectors: see dense.ts (colDots in the JS loop's order);
   *  colDots32, rowDots32 the same over an X of floats. */
  colDots: Record<number, Kernel>;
  rowDots: Record<number, Kernel>;
  colDots32: Record<number, Kernel>;
  rowDots32: Record<number, Kernel>;
  /** The simulator's r = X theta (rowDots, two accumulators per row, "set") and inc += X^T v ("tree", two pairs per step). */
  matVec: Kernel;
  matTVec: Kernel;
}

const range = (n: number) => Array.from({ length: n }, (_, i) => i + 1);

export function kernelModuleBytes(): Uint8Array<ArrayBuffer> {
  const fns: WasmFunction[] = [
    { name: "tangent", params: 8, body: tangentBody(TANGENT_LANES) },
    ...range(MAX_BLOCK).flatMap((m) => [
      { name: `colDots${m}`, params: 8, body: colDotsBody(m, "chain") },
      { name: `rowDots${m}`, params: 8, body: rowDotsBody(m, 1, "add") },
      { name: `colDots32_${m}`, params: 8, body: colDotsBody(m, "chain", 1, "f32") },
      { name: `rowDots32_${m}`, params: 8, body: rowDotsBody(m, 1, "add", "f32") },
    ]),
    { name: "matVec", params: 8, body: rowDotsBody(1, 2, "set") },
    { name: "matTVec", params: 8, body: colDotsBody(1, "tree", 2) },
  ];
  return wasmModuleBytes(fns);
}

/** Largest linear memory we ask for (wasm32 byte addresses; stay well inside the 4 GiB limit). */
export const MAX_BYTES = 2 ** 31;

const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env;
let forced = env?.DMFTKIT_KERNELS === "js";
let compiled: WebAssembly.Module | null | undefined;
let failure: string | undefined;
const instances = new WeakMap<ArrayBufferLike, KernelInstance>();

/**
 * Run the WebAssembly kernels when they compile ("wasm-simd", the default) or always the JS loops, from
 * the next kernel memory on (the module is compiled afresh when next needed).
 */
export function useKernels(backend: "wasm-simd" | "js"): void {
  forced = backend === "js";
  compiled = undefined;
  failure = undefined;
}

/** The compiled module, or null (forced JS, or the compile failed: see kernelFailure). */
function kernelModule(): WebAssembly.Module | null {
  if (forced) return null;
  if (compiled === undefined) {
    try {
      compiled = new WebAssembly.Module(kernelModuleBytes());
    } catch (e) {
      compiled = null;
      failure = `WebAssembly SIMD kernels unavailable (${e instanceof Error ? e.message : String(e)})`;
    }
  }
  return compiled;
}

/** Whether the WebAssembly kernels may run (not forced off, module compiled). */
export function wasmEnabled(): boolean {
  return kernelModule() !== null;
}

/** A kernel instance over a fresh memory of at least `bytes` bytes, or null (no kernels or no memory). */
export function instantiate(bytes: number): { mem: WebAssembly.Memory; ex: KernelInstance } | null {
  const module = kernelModule();
  if (module === null || bytes > MAX_BYTES) return null;
  let mem: WebAssembly.Memory;
  try {
    mem = new WebAssembly.Memory({ initial: Math.max(1, Math.ceil(bytes / 65536)) });
  } catch {
    return null; // no address space for another memory: the callers fall back to plain arrays and JS
  }
  const raw = new WebAssembly.Instance(module, { env: { mem } }).exports as Record<string, Kernel>;
  const ex: KernelInstance = {
    tangent: raw.tangent,
    colDots: Object.fromEntries(range(MAX_BLOCK).map((m) => [m, raw[`colDots${m}`]])),
    rowDots: Object.fromEntries(range(MAX_BLOCK).map((m) => [m, raw[`rowDots${m}`]])),
    colDots32: Object.fromEntries(range(MAX_BLOCK).map((m) => [m, raw[`colDots32_${m}`]])),
    rowDots32: Object.fromEntries(range(MAX_BLOCK).map((m) => [m, raw[`rowDots32_${m}`]])),
    matVec: raw.matVec,
    matTVec: raw.matTVec,
  };
  instances.set(mem.buffer, ex);
  return { mem, ex };
}

/** The instance whose memory is `buffer` (undefined for ordinary arrays or when the kernels are off). */
export function instanceOf(buffer: ArrayBufferLike): KernelInstance | undefined {
  return forced ? undefined : instances.get(buffer);
}

/** Kernel families recorded in `meta.kernels`. */
export type KernelFamily = "tangent" | "dots";
/** Per family that ran: "wasm-simd", "js", or "wasm-simd+js" (some calls each way); why not WebAssembly. */
export type KernelUsage = Partial<Record<KernelFamily, string>> & { unavailable?: string };

const WASM = 1;
const JS = 2;
let used: Partial<Record<KernelFamily, number>> = {};

/** Records that a call of `family` ran in WebAssembly (`wasm`) or in the JS loops. */
export function ran(family: KernelFamily, wasm: boolean): void {
  used[family] = (used[family] ?? 0) | (wasm ? WASM : JS);
}

const NAMES = ["", "wasm-simd", "js", "wasm-simd+js"];

/** This thread's record since the last call (then cleared). */
export function takeKernelUsage(): KernelUsage {
  const out: KernelUsage = {};
  for (const [f, bits] of Object.entries(used)) out[f as KernelFamily] = NAMES[bits];
  if (Object.values(used).some((b) => b & JS) && failure) out.unavailable = failure;
  used = {};
  return out;
}

/** The union of several threads' records. */
export function mergeKernelUsage(list: (KernelUsage | undefined)[]): KernelUsage {
  const bits: Partial<Record<KernelFamily, number>> = {};
  let unavailable: string | undefined;
  for (const u of list) {
    for (const [f, name] of Object.entries(u ?? {})) {
      if (f === "unavailable") unavailable = name;
      else bits[f as KernelFamily] = (bits[f as KernelFamily] ?? 0) | NAMES.indexOf(name);
    }
  }
  const out: KernelUsage = {};
  for (const [f, b] of Object.entries(bits)) out[f as KernelFamily] = NAMES[b];
  return unavailable ? { ...out, unavailable } : out;
}
