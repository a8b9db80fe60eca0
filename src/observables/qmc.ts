// Quasi-random standard normal points for the Gaussian expectations of vector models (vector.ts): Sobol'
// points (Joe & Kuo direction numbers) with fixed-seed random digital shifts, mapped through the normal
// quantile; each shift's block is closed under permutations of the student coordinates and of the teacher
// coordinates (when k! kT! <= 4: more copies leave too few distinct points), then centred and whitened
// symmetrically (mean 0, covariance I exactly).
// With a permutation-equivariant factor of the conditional covariance (symmetric square root), overlaps that
// are symmetric under relabelling units give exactly symmetric expectations. Also the symmetric eigensolver.
import { Rng } from "../util/rng.js";
import { normalCdf, normalPdf } from "./quadrature.js";

/** Points per shift (at most; a power of two times the number of permuted copies) and number of shifts. */
const QMC_POINTS = 16384;
export const QMC_SHIFTS = 2;
const MAX_COPIES = 4;

/** Sobol' direction numbers (Joe & Kuo, new-joe-kuo-6.21201) for dimensions 2..10: [s, a, m_1..m_s]. */
const JOE_KUO = [
  [1, 0, 1],
  [2, 1, 1, 3],
  [3, 1, 1, 3, 1],
  [3, 2, 1, 1, 1],
  [4, 1, 1, 1, 3, 3],
  [4, 4, 1, 3, 5, 13],
  [5, 2, 1, 1, 5, 5, 17],
  [5, 4, 1, 1, 5, 5, 5],
  [5, 7, 1, 1, 7, 11, 19],
];

/** 32 direction integers per dimension (row-major dim x 32). */
function sobolDirections(dim: number): Uint32Array {
  const v = new Uint32Array(dim * 32);
  for (let i = 0; i < 32; i++) v[i] = 2 ** (31 - i);
  for (let d = 1; d < dim; d++) {
    const [s, a, ...m] = JOE_KUO[d - 1];
    const o = d * 32;
    for (let i = 0; i < 32; i++) {
      if (i < s) v[o + i] = (m[i] * 2 ** (31 - i)) >>> 0;
      else {
        let x = (v[o + i - s] ^ (v[o + i - s] >>> s)) >>> 0;
        for (let k = 1; k < s; k++) if ((a >>> (s - 1 - k)) & 1) x = (x ^ v[o + i - k]) >>> 0;
        v[o + i] = x;
      }
    }
  }
  return v;
}

/** Inverse standard normal CDF: Acklam's rational approximation and one Halley step (~1e-15). */
function normalQuantile(p: number): number {
  const a = [-39.69683028665376, 220.9460984245205, -275.9285104469687, 138.357751867269, -30.66479806614716];
  const b = [
    -54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972, -13.28068155288572,
  ];
  const c = [-0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734];
  const d = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416];
  let x: number;
  if (p > 0.02425 && p < 0.97575) {
    const q = p - 0.5;
    const r = q * q;
    x =
      ((((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + 2.506628277459239) * q) /
      (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
  } else {
    const q = Math.sqrt(-2 * Math.log(Math.min(p, 1 - p)));
    const v =
      (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + 4.374664141464968) * q + 2.938163982698783) /
      ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
    x = p < 0.5 ? v : -v;
  }
  const e = normalCdf(x) - p;
  const u = e / normalPdf(x);
  return x - u / (1 + 0.5 * x * u);
}

/** Eigen-decomposition of a symmetric n x n matrix (cyclic Jacobi): values and row-major eigenvectors. */
export function symmetricEigen(A: Float64Array, n: number): { values: Float64Array; vectors: Float64Array } {
  const a = Float64Array.from(A);
  const v = new Float64Array(n * n);
  for (let i = 0; i < n; i++) v[i * n + i] = 1;
  for (let sweep = 0; sweep < 60; sweep++) {
    let off = 0;
    for (let p = 0; p < n; p++) for (let q = p + 1; q < n; q++) off += a[p * n + q] ** 2;
    if (off < 1e-30) break;
    for (let p = 0; p < n; p++) {
      for (let q = p + 1; q < n; q++) {
        const apq = a[p * n + q];
        if (apq === 0) continue;
        const theta = (a[q * n + q] - a[p * n + p]) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let r = 0; r < n; r++) {
          const arp = a[r * n + p];
          const arq = a[r * n + q];
          a[r * n + p] = c * arp - s * arq;
          a[r * n + q] = s * arp + c * arq;
        }
        for (let r = 0; r < n; r++) {
          const apr = a[p * n + r];
          const aqr = a[q * n + r];
          a[p * n + r] = c * apr - s * aqr;
          a[q * n + r] = s * apr + c * aqr;
        }
        for (let r = 0; r < n; r++) {
          const vrp = v[r * n + p];
          const vrq = v[r * n + q];
          v[r * n + p] = c * vrp - s * vrq;
          v[r * n + q] = s * vrp + c * vrq;
        }
      }
    }
  }
  return { values: Float64Array.from({ length: n }, (_, i) => a[i * n + i]), vectors: v };
}

/** All permutations of 0..n-1. */
function permutations(n: number): number[][] {
  if (n <= 1) return [Array.from({ length: n }, (_, i) => i)];
  return permutations(n - 1).flatMap((p) =>
    Array.from({ length: n }, (_, at) => [...p.slice(0, at), n - 1, ...p.slice(at)]),
  );
}

/** Centres the points and maps them by the symmetric inverse square root of their covariance (in place). */
function whiten(x: Float64Array, dim: number): void {
  const n = x.length / dim;
  const mean = new Float64Array(dim);
  for (let i = 0; i < n; i++) for (let a = 0; a < dim; a++) mean[a] += x[i * dim + a] / n;
  const cov = new Float64Array(dim * dim);
  for (let i = 0; i < n; i++) {
    for (let a = 0; a < dim; a++) {
      x[i * dim + a] -= mean[a];
      for (let b = 0; b <= a; b++) cov[a * dim + b] += (x[i * dim + a] * x[i * dim + b]) / n;
    }
  }
  for (let a = 0; a < dim; a++) for (let b = 0; b < a; b++) cov[b * dim + a] = cov[a * dim + b];
  const { values, vectors } = symmetricEigen(cov, dim);
  const W = new Float64Array(dim * dim);
  for (let e = 0; e < dim; e++) {
    const f = 1 / Math.sqrt(values[e]);
    for (let a = 0; a < dim; a++)
      for (let b = 0; b < dim; b++) W[a * dim + b] += f * vectors[a * dim + e] * vectors[b * dim + e];
  }
  const row = new Float64Array(dim);
  for (let i = 0; i < n; i++) {
    for (let a = 0; a < dim; a++) {
      let v = 0;
      for (let b = 0; b < dim; b++) v += W[a * dim + b] * x[i * dim + b];
      row[a] = v;
    }
    x.set(row, i * dim);
  }
}

export interface PointSet {
  /** Row-major points: coordinate 0 is eps, 1..k the student directions z, k+1..k+kT the teacher directions. */
  x: Float64Array;
  dim: number;
  /** Points per shift (shift s owns points s * perShift .. (s + 1) * perShift). */
  perShift: number;
  count: number;
}

const cache = new Map<string, PointSet>();

/** The cached point set for k student and kT teacher coordinates. */
export function pointSet(k: number, kT: number): PointSet {
  const key = `${k}:${kT}`;
  const hit = cache.get(key);
  if (hit) return hit;
  const dim = k + kT + 1;
  if (dim > JOE_KUO.length + 1)
    throw new Error(`Gaussian expectations: k + kTeacher + 1 = ${dim} is too large`);
  const pz = permutations(k);
  const pu = permutations(kT);
  const copies = pz.length * pu.length <= MAX_COPIES ? pz.length * pu.length : 1;
  const base = 2 ** Math.floor(Math.log2(QMC_POINTS / copies));
  const perShift = base * copies;
  const x = new Float64Array(QMC_SHIFTS * perShift * dim);
  const dirs = sobolDirections(dim);
  const p = new Float64Array(dim);
  let at = 0;
  for (let s = 0; s < QMC_SHIFTS; s++) {
    const rng = new Rng(20261126, s);
    const shift = Array.from({ length: dim }, () => Math.floor(rng.uniform() * 2 ** 32) >>> 0);
    const bits = new Uint32Array(dim);
    for (let i = 0; i < base; i++) {
      if (i > 0) {
        let c = 0;
        while (((i - 1) >>> c) & 1) c++;
        for (let a = 0; a < dim; a++) bits[a] = (bits[a] ^ dirs[a * 32 + c]) >>> 0;
      }
      for (let a = 0; a < dim; a++) p[a] = normalQuantile((((bits[a] ^ shift[a]) >>> 0) + 0.5) / 2 ** 32);
      if (copies === 1) {
        x.set(p, at);
        at += dim;
        continue;
      }
      for (const perm of pz) {
        for (const permU of pu) {
          x[at] = p[0];
          for (let a = 0; a < k; a++) x[at + 1 + a] = p[1 + perm[a]];
          for (let c = 0; c < kT; c++) x[at + 1 + k + c] = p[1 + k + permU[c]];
          at += dim;
        }
      }
    }
    whiten(x.subarray(s * perShift * dim, (s + 1) * perShift * dim), dim);
  }
  const set = { x, dim, perShift, count: QMC_SHIFTS * perShift };
  cache.set(key, set);
  return set;
}
