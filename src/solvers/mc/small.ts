// Inverse of a small dense matrix (the V x V teacher covariance in Stein's identity), Gauss–Jordan with
// partial pivoting. Off the hot path: V <= 8.
import { RunError } from "../../util/errors.js";

/** Returns A^-1 for a row-major n x n matrix; throws a RunError if A is singular. */
export function invertSmall(A: Float64Array, n: number): Float64Array {
  const a = Float64Array.from(A);
  const inv = new Float64Array(n * n);
  for (let i = 0; i < n; i++) inv[i * n + i] = 1;
  for (let c = 0; c < n; c++) {
    let piv = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(a[r * n + c]) > Math.abs(a[piv * n + c])) piv = r;
    const p = a[piv * n + c];
    if (!(Math.abs(p) > 0)) throw new RunError("teacher covariance is singular (teacher_variance = 0?)");
    for (const m of [a, inv]) {
      for (let j = 0; j < n; j++) {
        const t = m[c * n + j];
        m[c * n + j] = m[piv * n + j];
        m[piv * n + j] = t;
      }
    }
    for (let j = 0; j < n; j++) {
      a[c * n + j] /= p;
      inv[c * n + j] /= p;
    }
    for (let r = 0; r < n; r++) {
      if (r === c) continue;
      const f = a[r * n + c];
      if (f === 0) continue;
      for (let j = 0; j < n; j++) {
        a[r * n + j] -= f * a[c * n + j];
        inv[r * n + j] -= f * inv[c * n + j];
      }
    }
  }
  return inv;
}
