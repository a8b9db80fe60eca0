// The simulators' dense kernel for the SGF step: r = X theta and inc = X^T v on row blocks, from the kernel
// library (src/kernels/): the WebAssembly SIMD kernels `matVec` / `matTVec` when the arrays fit in one
// kernel memory, else (or with the kernels unavailable or forced off) the library's JS loops.
// X has its row count padded to a multiple of 4 with zero rows (their v stays 0), so neither needs a row
// remainder loop. theta (d x k) is stored column by column, and so are r = X theta and v (nPad x k): a
// k-column product is k single-column calls on the same block of rows, which stays in cache between
// columns. (A kernel doing two columns per pass of X was measured: within +-6% of this in CPU time at
// d = 2000, so not kept.)
import { sharedInstance, wasmArrays } from "../kernels/calls.js";
import { colDotsJs, rowDotsJs } from "../kernels/js.js";
import { ran } from "../kernels/loader.js";

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
  /** "wasm-simd" or "js". */
  name: string;
  /** r[a nPad + i] = x_i . theta_a for the block and every column a. */
  dots(i0: number, rows: number): void;
  /** inc_a += sum_i v[a nPad + i] x_i over the block, for every column a. */
  axpy(i0: number, rows: number): void;
}

/**
 * The kernel for n x d with k columns: WebAssembly SIMD when available and the arrays fit (or `js`:
 * always the JS loops). The two differ at rounding level (different summation orders).
 */
export function createKernel(n: number, d: number, k = 1, js = false): MatKernel {
  const nPad = Math.ceil(n / 4) * 4;
  const lengths = [nPad * d, k * d, k * d, k * nPad, k * nPad];
  const [X, theta, inc, r, v] = js ? lengths.map((len) => new Float64Array(len)) : wasmArrays(...lengths);
  const ex = sharedInstance(X, theta, inc, r, v);
  const B = 8; // bytes per double
  const dots = ex
    ? (i0: number, rows: number) => {
        for (let a = 0; a < k; a++) {
          const [x, th, out] = [
            X.byteOffset + B * i0 * d,
            theta.byteOffset + B * a * d,
            r.byteOffset + B * (a * nPad + i0),
          ];
          ex.matVec(x, th, out, rows / 4, d, d, 0, 0);
        }
      }
    : (i0: number, rows: number) => {
        const Xb = X.subarray(i0 * d, (i0 + rows) * d);
        for (let a = 0; a < k; a++) {
          const o = a * nPad + i0;
          rowDotsJs(0, Xb, rows, d, d, theta.subarray(a * d, (a + 1) * d), r.subarray(o, o + rows), "set");
        }
      };
  const axpy = ex
    ? (i0: number, rows: number) => {
        for (let a = 0; a < k; a++) {
          const [x, vv, out] = [
            X.byteOffset + B * i0 * d,
            v.byteOffset + B * (a * nPad + i0),
            inc.byteOffset + B * a * d,
          ];
          ex.matTVec(x, vv, out, rows / 4, d, d, 0, 0);
        }
      }
    : (i0: number, rows: number) => {
        const Xb = X.subarray(i0 * d, (i0 + rows) * d);
        for (let a = 0; a < k; a++) {
          const o = a * nPad + i0;
          colDotsJs(0, Xb, rows, d, d, v.subarray(o, o + rows), inc.subarray(a * d, (a + 1) * d));
        }
      };
  return {
    name: ex ? "wasm-simd" : "js",
    ...{ n, d, k, nPad, X, theta, inc, r, v },
    dots: (i0, rows) => {
      ran("dots", ex !== undefined);
      dots(i0, rows);
    },
    axpy,
  };
}

/** The WebAssembly SIMD kernel, or undefined when it is unavailable or too large. */
export function createSimdKernel(n: number, d: number, k = 1): MatKernel | undefined {
  const kernel = createKernel(n, d, k);
  return kernel.name === "wasm-simd" ? kernel : undefined;
}

/** The plain-JS kernel (the fallback, and the reference in tests). */
export function createJsKernel(n: number, d: number, k = 1): MatKernel {
  return createKernel(n, d, k, true);
}
