// validate(): model file -> verdict. Runs derive -> DMFT solve at dt (with kernels) -> SGF simulation at
// the same dt (two-time) -> the gating comparison; then, when tau > 0, real minibatch SGD against the
// continuum theory (Richardson-extrapolated SGF DMFT and the sgd-limit DMFT), a second, non-gating table.
import { simulate } from "../simulate/index.js";
import { solve } from "../solvers/index.js";
import { loadDerived } from "../symbolic/index.js";
import type { Derived, Model, Result } from "../types.js";
import { UsageError } from "../util/errors.js";
import { type ComparisonTable, compareResults, DEFAULT_RULE, type Rule } from "./compare.js";

export type { ComparisonTable, ObservableCheck, Rule } from "./compare.js";
export { DEFAULT_RULE } from "./compare.js";

/** The runs of a validation; the first two always exist. */
export type RunKey = "dmft" | "sgf" | "sgd" | "continuum" | "sgdLimit";
export type StageName = "derive" | RunKey;

export const STAGE_LABEL: Record<StageName, string> = {
  derive: "derive",
  dmft: "DMFT solve (dt)",
  sgf: "SGF simulation",
  sgd: "SGD simulation",
  continuum: "DMFT continuum (Richardson)",
  sgdLimit: "DMFT sgd-limit (Richardson)",
};

export interface ValidateOptions {
  sets?: Record<string, number>;
  /** Dimension of the simulations (default 2000; --quick: QUICK.d). */
  d?: number;
  /** Independent simulation seeds (default 8). */
  seeds?: number;
  /** Monte-Carlo DMFT population (default 20000). */
  samples?: number;
  /** SGD minibatch size B (default 1); the learning rate is eta = tau B. */
  batch?: number;
  /** Smaller defaults that finish in under 2 minutes for the shipped logistic model. */
  quick?: boolean;
  seed?: number;
  /** Override the model's time grid. */
  dt?: number;
  T?: number;
  threads?: number;
  rule?: Rule;
  /** Called when a stage starts (done = 0) and as it progresses. */
  onProgress?: (stage: StageName, done: number, total: number) => void;
}

/** Sizes used by a run (after defaults). */
export interface ValidateSettings {
  d: number;
  seeds: number;
  samples: number;
  batch: number;
  quick: boolean;
  seed: number;
  dt: number;
  T: number;
  threads?: number;
}

export interface Verdict {
  pass: boolean;
  model: Model;
  derived: Derived;
  settings: ValidateSettings;
  runs: { dmft: Result; sgf: Result } & Partial<Record<RunKey, Result>>;
  /** tables[0] is the gating DMFT(dt) vs SGF(dt) table; the others are informative (gating: false). */
  tables: ComparisonTable[];
  /** Why the SGD comparison is absent, if it is. */
  notes: string[];
  /** Seconds per stage, and total. */
  timings: Partial<Record<StageName | "total", number>>;
}

/** Full defaults: what a paper figure needs. */
export const FULL = { d: 2000, seeds: 8, samples: 20000 };
/** --quick defaults: measured to finish validate in < 2 min on 2 cores for models/logistic-regression.yaml. */
export const QUICK = { d: 1000, seeds: 8, samples: 10000 };

export function settingsOf(model: Model, opts: ValidateOptions): ValidateSettings {
  const base = opts.quick ? QUICK : FULL;
  const s: ValidateSettings = {
    d: opts.d ?? base.d,
    seeds: opts.seeds ?? base.seeds,
    samples: opts.samples ?? base.samples,
    batch: opts.batch ?? 1,
    quick: opts.quick ?? false,
    seed: opts.seed ?? 1,
    dt: opts.dt ?? model.time.dt,
    T: opts.T ?? model.time.T,
    threads: opts.threads,
  };
  if (s.seeds < 2)
    throw new UsageError("validate: --seeds must be at least 2 (standard errors need 2 seeds)");
  return s;
}

export async function validate(modelPath: string, opts: ValidateOptions = {}): Promise<Verdict> {
  const started = performance.now();
  const timings: Verdict["timings"] = {};
  const progress = opts.onProgress ?? (() => {});
  async function stage<T>(name: StageName, fn: (p: (done: number, total: number) => void) => Promise<T>) {
    const t0 = performance.now();
    progress(name, 0, 1);
    let value: T;
    try {
      value = await fn((done, total) => progress(name, done, total));
    } catch (err) {
      // Keep the error's class (it carries the exit code); say which stage failed.
      if (err instanceof Error && name !== "derive") err.message = `${STAGE_LABEL[name]}: ${err.message}`;
      throw err;
    }
    timings[name] = (performance.now() - t0) / 1000;
    return value;
  }
  const derived = await stage("derive", async () => loadDerived(modelPath, opts.sets ?? {}));
  const model = derived.model;
  const s = settingsOf(model, opts);
  const rule = opts.rule ?? DEFAULT_RULE;
  const grid = { dt: s.dt, T: s.T, seed: s.seed, threads: s.threads };
  const theory = { ...grid, samples: s.samples };

  const dmft = await stage("dmft", (onProgress) =>
    solve(derived, { ...theory, dynamics: "sgf", kernels: true, onProgress }),
  );
  const sgf = await stage("sgf", (onProgress) =>
    simulate(derived, { ...grid, d: s.d, seeds: s.seeds, dynamics: "sgf", twoTime: true, onProgress }),
  );
  const runs: Verdict["runs"] = { dmft, sgf };
  const tables: ComparisonTable[] = [
    compareResults(
      {
        id: "gating",
        title: "Consistency check: DMFT at step dt vs SGF simulated at the same dt",
        gating: true,
        theoryLabel: `DMFT (dt = ${s.dt})`,
        simLabel: `SGF simulation (d = ${s.d})`,
      },
      dmft,
      sgf,
      rule,
    ),
  ];
  const notes: string[] = [];
  if (s.seeds < 6) {
    notes.push(
      `Only ${s.seeds} seeds: standard errors estimated from so few seeds are themselves noisy, so a spurious failure of the 4-SE rule somewhere on the time grid is likely; use 8 or more.`,
    );
  }
  if (model.parameters.tau > 0) {
    runs.sgd = await stage("sgd", (onProgress) =>
      simulate(derived, {
        ...grid,
        d: s.d,
        seeds: s.seeds,
        dynamics: "sgd",
        batch: s.batch,
        onProgress,
      }),
    );
    runs.continuum = await stage("continuum", (onProgress) =>
      solve(derived, { ...theory, dynamics: "sgf", extrapolate: true, onProgress }),
    );
    runs.sgdLimit = await stage("sgdLimit", (onProgress) =>
      solve(derived, { ...theory, dynamics: "sgd-limit", extrapolate: true, onProgress }),
    );
    const simLabel = `SGD simulation (d = ${s.d}, B = ${s.batch}, eta = ${model.parameters.tau * s.batch})`;
    tables.push(
      compareResults(
        {
          id: "sgd-continuum",
          title: "Real SGD vs continuum SGF theory (Richardson-extrapolated DMFT)",
          gating: false,
          theoryLabel: "DMFT SGF, continuum (Richardson)",
          simLabel,
        },
        runs.continuum,
        runs.sgd,
        rule,
      ),
      compareResults(
        {
          id: "sgd-limit",
          title: "Real SGD vs small-batch SGD-limit theory (Poisson jumps, Richardson-extrapolated)",
          gating: false,
          theoryLabel: "DMFT sgd-limit, continuum (Richardson)",
          simLabel,
        },
        runs.sgdLimit,
        runs.sgd,
        rule,
      ),
    );
  } else {
    notes.push("tau = 0 (gradient flow): there is no SGD to compare with (eta = tau B = 0).");
  }
  timings.total = (performance.now() - started) / 1000;
  return { pass: tables[0].pass, model, derived, settings: s, runs, tables, notes, timings };
}

/** How the DMFT curve of a verdict was solved, for summaries ("Monte Carlo, M samples" or the exact solver). */
export function solverLabel(v: Verdict): string {
  const solver = v.runs.dmft.meta.solver;
  return solver === "mc"
    ? `Monte Carlo, ${v.settings.samples} samples`
    : `${solver} (deterministic, no Monte Carlo)`;
}
