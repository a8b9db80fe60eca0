// Conditional branching ("smoothed perturbation analysis"), the exact response estimator for k = 1 models
// whose gradient l = l_ac + sum_j J_j H(r - c_j) jumps (issue 14; docs/theory.md §7). Per sample, with
// sigma_k the innovation standard deviation of w_k and a_k = r_k - sigma_k Z_k the conditional mean of r_k:
//   rho[k,s] = < v_k T_k^(s) > + sum_{a=s}^{k-1} < v_a T_a^(s) >,
//   v_k = l_ac'(r_k) + sum_j J_j phi((c_j - a_k)/sigma_k)/sigma_k                        (jump at step k)
//   v_a = sum_j W_a^j [ l(r_k^{+,j,a}) - l(r_k^{-,j,a}) ],  W_a^j = phi((c_j - a_a)/sigma_a)/sigma_a
// where T is the tangent of l_ac alone and r^{±,j,a} are two branches that share every random number except
// that Z_a moves by (c_j - r_a)/sigma_a (r_a onto the kink) and l_a takes its one-sided limits:
//   r_k^± = r_k + Lw[k,a] dZ + sum_{a<=i<k} R[k,i] (l_i^± - l_i) dxi_i.
// The sum over a is one backward (adjoint) sweep per sample with sources v: O(k^2), like the tangent; the
// branches need their l-differences stored, 2 x jumps x N^2 / 2 values per sample (a JS implementation).
import { adjointSweep } from "../../kernels/js.js";
import type { JumpFn } from "../../symbolic/compile.js";
import type { CompiledFns } from "../../types.js";
import { RunError } from "../../util/errors.js";

/** Innovation standard deviation below which w_k is drawn with this one instead (theory note). */
export const INNOVATION_FLOOR = 0.01;

const INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);

/**
 * Step k of a group solve as the branching estimator sees it: per-sample values (indexed by sample i) and
 * the step's shared arrays. `r`, `l`, `dl` = l_ac'(r_k), `y`; `sigma` (floored) and `z` the innovation of
 * w_k; `dxi` (unused at the last step); `lw[lwOff + a]` = Lw[k, a] (coefficient of Z_a in w_k);
 * `R[Rk + t]` = R_theta[k, t]; `Cc[i * N1 + t]` = l_ac'(r_t) dxi_t for t < k; `Rt` as in responses.ts;
 * d rho[k, s] (not divided by M) is added to out[0..k].
 */
export interface BranchStep {
  k: number;
  last: boolean;
  sigma: number;
  r: Float64Array;
  l: Float64Array;
  dl: Float64Array;
  y: Float64Array;
  z: Float32Array;
  dxi: Float64Array | null;
  lw: Float64Array;
  lwOff: number;
  R: Float64Array;
  Rk: number;
  Cc: Float64Array;
  Rt: Float64Array;
  out: Float64Array;
}

/** Per-sample branch state of one group solve (sample-major; pair p = a * J + j for origin a, jump j). */
export class Branches {
  /** (l^± - l) dxi of pair p at step t: plus/minus[(i * P + p) * N1 + t]. */
  readonly plus: Float64Array;
  readonly minus: Float64Array;
  /** Shift of Z_a and weight W_a^j per pair (and whether the pair exists: weight 0 otherwise). */
  readonly dZ: Float64Array;
  readonly weight: Float64Array;
  /** Adjoint sources and sweep, per step. */
  private readonly v: Float64Array;
  private readonly P: Float64Array;
  private readonly cj: Float64Array;
  readonly pairs: number;

  /** Doubles held for M samples over N1 steps with J jumps. */
  static doubles(M: number, N1: number, J: number): number {
    return M * J * N1 * (2 * N1 + 2) + 4 * N1;
  }

  constructor(
    readonly M: number,
    readonly N1: number,
    private readonly fns: CompiledFns,
    private readonly jumps: JumpFn,
    /** Most jumps of l for one label (Derived.jumps.length). */
    private readonly J: number,
  ) {
    this.cj = new Float64Array(2 * J + 2);
    this.pairs = N1 * J;
    this.plus = new Float64Array(M * this.pairs * N1);
    this.minus = new Float64Array(M * this.pairs * N1);
    this.dZ = new Float64Array(M * this.pairs);
    this.weight = new Float64Array(M * this.pairs);
    this.v = new Float64Array(N1);
    this.P = new Float64Array(N1);
  }

  /**
   * Step k of sample i: propagates the earlier branches to r_k, opens the branches of step k, and adds
   * d rho[k, s] to step.out[0..k].
   */
  sample(step: BranchStep, i: number): void {
    const { k, last, sigma, lw, lwOff, R, Rk, Cc, Rt, out } = step;
    const [r, l, dl, y, z] = [step.r[i], step.l[i], step.dl[i], step.y[i], step.z[i]];
    const dxi = last ? 0 : step.dxi![i];
    const { N1, J: nJ, pairs, plus, minus, dZ, weight, v, P, fns, cj } = this;
    const CcOff = i * N1;
    const base = i * pairs;
    // Earlier branches at step k: v_a = sum_j W_a^j (l(r_k^+) - l(r_k^-)); store (l^± - l_k) dxi_k.
    for (let a = 0; a < k; a++) {
      let va = 0;
      for (let j = 0; j < nJ; j++) {
        const p = base + a * nJ + j;
        const W = weight[p];
        if (W === 0) continue;
        const shift = r + lw[lwOff + a] * dZ[p];
        const o = p * N1;
        let sp = shift;
        let sm = shift;
        for (let t = a; t < k; t++) {
          const rkt = R[Rk + t];
          sp += rkt * plus[o + t];
          sm += rkt * minus[o + t];
        }
        const lp = fns.l(sp, y);
        const lm = fns.l(sm, y);
        va += W * (lp - lm);
        if (!last) {
          plus[o + k] = (lp - l) * dxi;
          minus[o + k] = (lm - l) * dxi;
        }
      }
      v[a] = va;
    }
    // Branches of step k: r_k onto each kink, one-sided limits of l there; the local jump density.
    const n = this.jumps(y, cj);
    if (n > nJ) throw new RunError(`branching: ${n} jumps of l at y = ${y}, more than the ${nJ} declared`);
    const mean = r - sigma * z;
    let local = dl;
    for (let j = 0; j < n; j++) {
      const c = cj[2 * j];
      const J = cj[2 * j + 1];
      const u = (c - mean) / sigma;
      const W = sigma > 0 && Number.isFinite(c) ? (INV_SQRT_2PI * Math.exp(-0.5 * u * u)) / sigma : 0;
      local += J * W;
      const p = base + k * nJ + j;
      weight[p] = W;
      if (W === 0 || last) continue;
      dZ[p] = (c - r) / sigma;
      const eps = 1e-9 * Math.max(1, Math.abs(c));
      plus[p * N1 + k] = (fns.l(c + eps, y) - l) * dxi;
      minus[p * N1 + k] = (fns.l(c - eps, y) - l) * dxi;
    }
    for (let j = n; j < nJ; j++) weight[base + k * nJ + j] = 0;
    v[k] = local;
    // Adjoint sweep with sources v: P[s] = v_s + Cc_s sum_{a>s} P[a] R[a,s]; rho[k,s] += P[s].
    adjointSweep(k, N1, Rt, P, 0, Cc, CcOff, v);
    for (let s = 0; s <= k; s++) out[s] += P[s];
  }
}
