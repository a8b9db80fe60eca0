// Sample weights of SGD with a batch fraction b (issue 21), shared by the Monte-Carlo DMFT solver and the
// simulators so that both integrate the same law: s_{i,k} in {0, 1/b}, P(s = 1/b) = b. Independent over
// steps by default; with a persistence time tau_p each sample's membership is a two-state Markov chain
// (Mignacco et al. 2020): out -> in with probability dt / tau_p per step, in -> out with (1 - b)/b dt / tau_p,
// started from its stationary law (in with probability b). tau_p = dt / b gives back the independent draws.
import { UsageError } from "./errors.js";
import type { Rng } from "./rng.js";

export interface BatchLaw {
  /** Batch fraction b in (0, 1]. */
  b: number;
  /** Persistence time tau_p of the membership chain; 0 = independent draws at every step. */
  persistence: number;
  /** Time step (the learning rate): the chain's transition probabilities are per step. */
  dt: number;
}

/** Checks b and tau_p (UsageError naming `what`) and returns the law. */
export function batchLaw(b: number | undefined, persistence: number | undefined, dt: number, what: string) {
  if (b === undefined) throw new UsageError(`${what}: --dynamics sgd-fraction needs --batch-fraction b`);
  if (!(b > 0 && b <= 1)) throw new UsageError(`${what}: --batch-fraction must be in (0, 1], got ${b}`);
  const tp = persistence ?? 0;
  if (tp !== 0) {
    const least = dt * Math.max(1, (1 - b) / b);
    if (!(tp >= least))
      throw new UsageError(
        `${what}: --persistence ${tp} is shorter than dt max(1, (1 - b)/b) = ${least} ` +
          "(the membership chain's switching probabilities per step would exceed 1)",
      );
  }
  return { b, persistence: tp, dt } satisfies BatchLaw;
}

/** Draws the weights s_{i,k} of n samples, step after step (k = 0, 1, ...; every i once per step). */
export class BatchWeights {
  private readonly inv: number;
  /** Membership per sample (persistence > 0 only; a checkpoint saves it, src/solvers/mc/checkpoint.ts). */
  readonly member: Uint8Array | null;
  private readonly join: number;
  private readonly leave: number;

  constructor(
    private readonly law: BatchLaw,
    n: number,
    readonly rng: Rng,
  ) {
    this.inv = 1 / law.b;
    const tp = law.persistence;
    this.join = tp > 0 ? law.dt / tp : 0;
    this.leave = tp > 0 ? ((1 - law.b) / law.b) * (law.dt / tp) : 0;
    this.member = tp > 0 ? new Uint8Array(n) : null;
    if (this.member) for (let i = 0; i < n; i++) this.member[i] = rng.uniform() < law.b ? 1 : 0;
  }

  /** s_{i,k}: 0 or 1/b. */
  next(i: number, k: number): number {
    const u = this.rng.uniform();
    const m = this.member;
    if (!m) return u < this.law.b ? this.inv : 0;
    if (k > 0) m[i] = m[i] ? (u < this.leave ? 0 : 1) : u < this.join ? 1 : 0;
    return m[i] ? this.inv : 0;
  }
}

/** The SGF noise level whose Euler–Maruyama dxi has the same mean and variance: tau = dt (1 - b) / (b delta). */
export function fractionTau(b: number, dt: number, delta: number): number {
  return (dt * (1 - b)) / (b * delta);
}

/** Result.meta entries of a run with this law (none without one). */
export function batchMeta(p: { batch?: BatchLaw }): Record<string, number> {
  if (!p.batch) return {};
  const { b, persistence } = p.batch;
  return persistence > 0 ? { batch_fraction: b, persistence } : { batch_fraction: b };
}
