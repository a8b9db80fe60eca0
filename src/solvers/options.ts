import type { Executor } from "../util/executor.js";
import type { RecordSpec } from "../util/record.js";

// Options shared by every DMFT solver (Monte-Carlo in src/solvers/mc, exact ones in src/solvers/exact).

export interface SolveOptions {
  /**
   * sgf: stochastic gradient flow; gd: gradient flow (tau = 0); sgd-limit: Poisson small-batch SGD limit;
   * sgd-fraction: SGD whose batch is each sample with probability batchFraction (weight 1/batchFraction).
   */
  dynamics: "sgf" | "gd" | "sgd-limit" | "sgd-fraction";
  /** sgd-fraction: the batch fraction b in (0, 1] (b = 1 is gd, bit for bit). */
  batchFraction?: number;
  /** sgd-fraction: persistence time tau_p of each sample's two-state Markov membership (default: iid). */
  persistence?: number;
  /** Time step (default: the model's time.dt). */
  dt?: number;
  /** Horizon (default: the model's time.T); N = round(T / dt) steps. */
  T?: number;
  /**
   * Monte-Carlo population size M, split into `groups` independent solves. Default DEFAULT_SAMPLES
   * (util/defaults.ts), raised by the planner where Stein's orthonormal fields need more per group (long
   * horizons; meta.samples says what ran).
   */
  samples?: number;
  seed: number;
  /** Also solve at dt/2 and report the Richardson combination 2 f(dt/2) - f(dt) on the dt grid. */
  extrapolate?: boolean;
  /** Put C_theta, R_theta, rho, Gamma into Result.kernels (row-major). */
  kernels?: boolean;
  /** Worker threads (default: one per core). Results never depend on it. */
  threads?: number;
  /** Independent sample groups for the standard errors (default 8). */
  groups?: number;
  /**
   * Response estimator for rho (issues 14, 15): tangent = exact pathwise discrete tangent, O(M N^3)
   * (misses the Dirac part of l' when l jumps); branch = tangent plus conditional branching at the jumps
   * (exact for non-smooth k = 1 models); stein = Gaussian integration by parts, O(M N^2), noisy kernels;
   * auto (default) picks what is exact and affordable and records it in meta.response.
   */
  response?: "auto" | "tangent" | "branch" | "stein";
  /** Which steps are written out: every K-th (default 1) or log-spaced (src/util/record.ts). */
  record?: RecordSpec;
  /** After each finished task (group): tasks done, their total, and (Monte-Carlo) the share of the work
   *  done, for a remaining time that does not count a half group as a whole one. */
  onProgress?: (done: number, total: number, work?: number) => void;
  /** How the Monte-Carlo groups run (default: in-process for one thread, else worker threads). */
  executor?: Executor;
}
