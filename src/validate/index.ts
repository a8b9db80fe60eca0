// validate(): model (file, Model or Derived) -> verdict. Runs derive -> DMFT solve at dt (with kernels) -> SGF simulation at
// the same dt (two-time; or GD / batch-fraction SGD with --dynamics) -> the gating comparison; then, when tau > 0, real minibatch SGD against the
// continuum theory (Richardson-extrapolated SGF DMFT and the sgd-limit DMFT), a second, non-gating table.
import { loadModel } from "../model/load.js";
import { simulate } from "../simulate/index.js";
import { solve } from "../solvers/index.js";
import { derive, loadDerived } from "../symbolic/index.js";
import { stepSchedule } from "../symbolic/schedule.js";
import type { Derived, Model, Result } from "../types.js";
import { UsageError } from "../util/errors.js";
import { tidyTimes } from "../util/time.js";
import { ALPHA, type ComparisonTable, compareResults, DEFAULT_RULE, LOW_POWER } from "./compare.js";
import { checkValidateFeasible } from "./plan.js";
import {
  type RunKey,
  type StageName,
  settingsOf,
  simulatedLabel,
  stageLabel,
  type ValidateOptions,
  type ValidateSettings,
} from "./settings.js";

export type { ComparisonTable, ObservableCheck, Rule } from "./compare.js";
export { DEFAULT_RULE } from "./compare.js";
export * from "./settings.js";

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

/**
 * What validate takes: a model file's path (with `opts.sets` applied), or a model already parsed (Model,
 * with its --set values in) or derived (Derived, e.g. the one a caller has already built).
 */
export type ModelSource = string | Model | Derived;

function isDerived(source: Model | Derived): source is Derived {
  return "model" in source && "fns" in source;
}

/** The parsed model of a source; --set values apply to files only (a Model has them already). */
function modelOf(source: ModelSource, opts: ValidateOptions): Model {
  if (typeof source === "string") return loadModel(source, opts.sets ?? {});
  if (Object.keys(opts.sets ?? {}).length > 0)
    throw new UsageError(
      "validate: --set applies to a model file; a parsed model has its parameters already",
    );
  return isDerived(source) ? source.model : source;
}

/** Checks the options against the model (sizes, time grid, SGD step) without computing anything. */
export function preflight(source: ModelSource, opts: ValidateOptions = {}): ValidateSettings {
  return settingsOf(modelOf(source, opts), opts);
}

export async function validate(source: ModelSource, opts: ValidateOptions = {}): Promise<Verdict> {
  const started = performance.now();
  // Every check that needs no computing comes before the first stage (bad input exits at once).
  preflight(source, opts);
  const timings: Verdict["timings"] = {};
  const progress = opts.onProgress ?? (() => {});
  // The gating simulation's label names its dynamics (known once the options are checked).
  const label = (name: StageName) => stageLabel(name, opts);
  async function stage<T>(
    name: StageName,
    fn: (p: (done: number, total: number, work?: number) => void) => Promise<T>,
  ) {
    const t0 = performance.now();
    progress(name, 0, 1);
    let value: T;
    try {
      value = await fn((done, total, work) => progress(name, done, total, work));
    } catch (err) {
      // Keep the error's class (it carries the exit code); say which stage failed.
      if (err instanceof Error && name !== "derive") err.message = `${label(name)}: ${err.message}`;
      throw err;
    }
    timings[name] = (performance.now() - t0) / 1000;
    return value;
  }
  const derived = await stage("derive", async () =>
    typeof source === "string"
      ? loadDerived(source, opts.sets ?? {})
      : isDerived(source)
        ? source
        : derive(source),
  );
  const model = derived.model;
  const s = settingsOf(model, opts);
  const rule = opts.rule ?? DEFAULT_RULE;
  const grid = { dt: s.dt, T: s.T, seed: s.seed, threads: s.threads };
  const theory = { ...grid, samples: s.samples, groups: s.groups, record: s.record };
  // The simulations start from theta*, theta^0 whose overlaps are exactly the theory's (SeedTask.exactInit).
  const sim = { ...grid, recordEvery: s.record, d: s.d, seeds: s.seeds, exactInit: true };
  // Every stage's options, estimated (time, memory) before the first one runs (plan.ts).
  const law = { dynamics: s.dynamics ?? "sgf", batchFraction: s.batchFraction, persistence: s.persistence };
  // Under a tau schedule SGD needs tau(t_k) > 0 at every step (eta_k = B tau(t_k)).
  const N = Math.round(s.T / s.dt);
  const tauSteps = stepSchedule(model, derived.schedule, s.dt, N, "validate")?.tau;
  const noSgd =
    law.dynamics !== "sgf"
      ? `--dynamics ${law.dynamics}: the minibatch-SGD vs continuum tables apply to sgf only.`
      : tauSteps && !tauSteps.every((v) => v > 0)
        ? "tau(t) reaches 0 on the time grid: there is no SGD to compare with (eta = B tau(t) = 0)."
        : !(model.parameters.tau > 0)
          ? "tau = 0 (gradient flow): there is no SGD to compare with (eta = tau B = 0)."
          : undefined;
  const sgd = noSgd === undefined;
  const plan = {
    dmft: { ...theory, ...law, kernels: true },
    sgf: { ...sim, ...law, twoTime: true },
    sgd: { ...sim, dynamics: "sgd", batch: s.batch },
    continuum: { ...theory, dynamics: "sgf", extrapolate: true },
    sgdLimit: { ...theory, dynamics: "sgd-limit", extrapolate: true },
  } as const;
  const estimates = checkValidateFeasible(
    derived,
    [
      { name: "dmft", kind: "solve", opts: plan.dmft },
      { name: "sgf", kind: "simulate", opts: plan.sgf },
      ...(sgd
        ? ([
            { name: "sgd", kind: "simulate", opts: plan.sgd },
            { name: "continuum", kind: "solve", opts: plan.continuum },
            { name: "sgdLimit", kind: "solve", opts: plan.sgdLimit },
          ] as const)
        : []),
    ],
    law,
    opts.maxMinutes,
  );
  opts.onPlan?.(estimates);

  const dmft = await stage("dmft", async (onProgress) =>
    tidyTimes(await solve(derived, { ...plan.dmft, onProgress })),
  );
  const sgf = await stage("sgf", async (onProgress) =>
    tidyTimes(await simulate(derived, { ...plan.sgf, onProgress })),
  );
  const simulated = simulatedLabel(s);
  const runs: Verdict["runs"] = { dmft, sgf };
  const tables: ComparisonTable[] = [
    compareResults(
      {
        id: "gating",
        title: `Consistency check: DMFT at step dt vs ${simulated} simulated at the same dt`,
        gating: true,
        theoryLabel: `DMFT (dt = ${s.dt})`,
        simLabel: `${simulated} simulation (d = ${s.d})`,
      },
      dmft,
      sgf,
      rule,
    ),
  ];
  const notes = powerNotes(tables[0], s.seeds);
  if (sgd) {
    runs.sgd = await stage("sgd", async (onProgress) =>
      tidyTimes(await simulate(derived, { ...plan.sgd, onProgress })),
    );
    runs.continuum = await stage("continuum", async (onProgress) =>
      tidyTimes(await solve(derived, { ...plan.continuum, onProgress })),
    );
    runs.sgdLimit = await stage("sgdLimit", async (onProgress) =>
      tidyTimes(await solve(derived, { ...plan.sgdLimit, onProgress })),
    );
    const eta = model.schedules?.tau
      ? `B tau(t) = ${s.batch} (${model.schedules.tau})`
      : model.parameters.tau * s.batch;
    const simLabel = `SGD simulation (d = ${s.d}, B = ${s.batch}, eta = ${eta})`;
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
  } else notes.push(noSgd);
  timings.total = (performance.now() - started) / 1000;
  return { pass: tables[0].pass, model, derived, settings: s, runs, tables, notes, timings };
}

/** Notes on the gating table's power: the smallest deviation it can detect, warned when large. */
function powerNotes(table: ComparisonTable, seeds: number): string[] {
  const notes: string[] = [];
  const rows = table.rows.filter((r) => Number.isFinite(r.resolution));
  if (rows.length === 0) return notes;
  const weakest = rows.reduce((w, r) => (r.resolution > w.resolution ? r : w));
  const pct = (x: number) => `${Number((100 * x).toPrecision(2))}%`;
  const c = rows.map((r) => r.critical).filter(Number.isFinite);
  const detect = `typical detectable deviation (median allowance over times, relative to each observable's largest value): ${rows
    .map((r) => `${r.name} ${pct(r.resolution)}`)
    .join(", ")}`;
  notes.push(
    `Power: ${table.comparisons} comparisons, false-alarm rate of the whole table <= ${pct(table.rule.alpha ?? ALPHA)}` +
      (c.length > 0 ? `, critical values ${Math.min(...c).toFixed(2)}-${Math.max(...c).toFixed(2)} SE` : "") +
      `; ${detect}.`,
  );
  if (weakest.resolution > LOW_POWER) {
    notes.push(
      `Low power: deviations up to ${pct(weakest.resolution)} of ${weakest.name} (typical allowance) would pass unnoticed; ` +
        `a wrong theory often differs by 5-30%. Use a larger --d, more --seeds (now ${seeds}) or --samples.`,
    );
  }
  return notes;
}
