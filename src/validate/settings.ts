// What the CLI and the report need to know about a validation without loading the pipeline (solvers,
// simulators, symbolic stage): the stages and their labels, the options and size presets, and how the DMFT
// curve was solved. Kept light so that `dmftkit --help` stays fast.

import type { Model } from "../types.js";
import { DEFAULT_SAMPLES } from "../util/defaults.js";
import { UsageError } from "../util/errors.js";
import type { StageEstimate } from "../util/feasibility.js";
import type { RecordSpec } from "../util/record.js";
import { checkTimeGrid } from "../util/time.js";
import type { Rule } from "./compare.js";
import type { Verdict } from "./index.js";

/** The runs of a validation; the first two always exist. */
export type RunKey = "dmft" | "sgf" | "sgd" | "continuum" | "sgdLimit";
export type StageName = "derive" | RunKey;

const STAGE_LABEL: Record<StageName, string> = {
  derive: "derive",
  dmft: "DMFT solve (dt)",
  sgf: "SGF simulation",
  sgd: "SGD simulation",
  continuum: "DMFT continuum (Richardson)",
  sgdLimit: "DMFT sgd-limit (Richardson)",
};

export interface ValidateOptions {
  sets?: Record<string, number | string>;
  /** Dimension of the simulations (default 2000; --quick: QUICK.d). */
  d?: number;
  /** Independent simulation seeds (default 8). */
  seeds?: number;
  /** Monte-Carlo DMFT population (default 20000) and its independent groups (default 8). */
  samples?: number;
  groups?: number;
  /** Recorded (and compared) steps of the dt grid: every K-th or log-spaced (default every step). */
  record?: RecordSpec;
  /** SGD minibatch size B (default 1); the learning rate is eta = tau B. */
  batch?: number;
  /** Dynamics of the gating comparison (default sgf); gd and sgd-fraction skip the SGD-vs-continuum tables. */
  dynamics?: "sgf" | "gd" | "sgd-fraction";
  /** sgd-fraction: batch fraction b and membership persistence tau_p. */
  batchFraction?: number;
  persistence?: number;
  /** Smaller defaults that finish in under 2 minutes for the shipped logistic model. */
  quick?: boolean;
  seed?: number;
  /** Override the model's time grid. */
  dt?: number;
  T?: number;
  threads?: number;
  rule?: Rule;
  /** Time axis of the report's observable plots (default: log with record "log", else linear). */
  timeAxis?: "linear" | "log";
  /** Refuse (UsageError) a validation estimated to take longer (default DEFAULT_MAX_MINUTES). */
  maxMinutes?: number;
  /** Called with the stage estimates once they pass the feasibility check, before the first stage. */
  onPlan?: (estimates: StageEstimate[]) => void;
  /** Called when a stage starts (done = 0) and as it progresses. */
  onProgress?: (stage: StageName, done: number, total: number, work?: number) => void;
}

/** Sizes used by a run (after defaults). */
export interface ValidateSettings {
  d: number;
  seeds: number;
  /** DMFT Monte-Carlo samples; absent: the solver's default (raised where Stein needs more, meta.samples). */
  samples?: number;
  groups?: number;
  record?: RecordSpec;
  timeAxis?: "linear" | "log";
  batch: number;
  /** Absent means sgf. */
  dynamics?: "sgf" | "gd" | "sgd-fraction";
  batchFraction?: number;
  persistence?: number;
  quick: boolean;
  seed: number;
  dt: number;
  T: number;
  threads?: number;
}

/** Full defaults: what a paper figure needs. */
export const FULL = { d: 2000, seeds: 8, samples: DEFAULT_SAMPLES };
/** --quick defaults: measured to finish validate in < 2 min on 2 cores for models/logistic-regression.yaml. */
export const QUICK = { d: 1000, seeds: 8, samples: 10000 };

export function settingsOf(model: Model, opts: ValidateOptions): ValidateSettings {
  const base = opts.quick ? QUICK : FULL;
  const s: ValidateSettings = {
    d: opts.d ?? base.d,
    seeds: opts.seeds ?? base.seeds,
    samples: opts.samples ?? (opts.quick ? QUICK.samples : undefined),
    groups: opts.groups,
    record: opts.record,
    timeAxis: opts.timeAxis ?? (opts.record === "log" ? "log" : "linear"),
    batch: opts.batch ?? 1,
    dynamics: opts.dynamics ?? "sgf",
    ...(opts.dynamics === "sgd-fraction"
      ? { batchFraction: opts.batchFraction, persistence: opts.persistence }
      : {}),
    quick: opts.quick ?? false,
    seed: opts.seed ?? 1,
    dt: opts.dt ?? model.time.dt,
    T: opts.T ?? model.time.T,
    threads: opts.threads,
  };
  if (s.seeds < 2)
    throw new UsageError("validate: --seeds must be at least 2 (standard errors need 2 seeds)");
  checkTimeGrid(s.T, s.dt, "validate");
  const { tau } = model.parameters;
  const sgdStep = (tau * s.batch) / s.d;
  if (tau > 0 && s.dynamics === "sgf" && sgdStep > s.dt * (1 + 1e-9)) {
    const maxBatch = Math.floor((s.dt * s.d) / tau);
    throw new UsageError(
      `validate: --batch ${s.batch}: one SGD step advances t by eta/d = tau B / d = ${sgdStep}, more than the ` +
        `recording step dt = ${s.dt}; use --batch <= ${maxBatch}, a larger --d or a larger --dt`,
    );
  }
  return s;
}

/** The settings that name the gating comparison's dynamics. */
export type SimulatedDynamics = Pick<ValidateSettings, "dynamics" | "batchFraction" | "persistence">;

/** The simulated dynamics of the gating comparison, in words ("SGF", "GD", "SGD, batch fraction 0.2"). */
export function simulatedLabel(s: SimulatedDynamics): string {
  if ((s.dynamics ?? "sgf") === "sgf") return "SGF";
  if (s.dynamics === "gd") return "GD";
  const p = s.persistence ? `, persistence ${s.persistence}` : "";
  return `SGD (batch fraction ${s.batchFraction}${p})`;
}

/** A stage's label; the gating simulation is named after its dynamics ("GD simulation", ...). */
export function stageLabel(name: StageName, s: SimulatedDynamics): string {
  return name === "sgf" ? `${simulatedLabel(s)} simulation` : STAGE_LABEL[name];
}

/** How the DMFT curve of a verdict was solved, for summaries ("Monte Carlo, M samples" or the exact solver). */
export function solverLabel(v: Verdict): string {
  const { solver, response, samples } = v.runs.dmft.meta as {
    solver?: string;
    response?: { estimator?: string };
    samples?: number;
  };
  return solver === "mc"
    ? `Monte Carlo, ${samples ?? v.settings.samples} samples, ${response?.estimator ?? "tangent"} response estimator`
    : `${solver} (deterministic, no Monte Carlo)`;
}
