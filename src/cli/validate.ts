// `dmftkit validate MODEL`: derive -> DMFT solve -> SGF and SGD simulations -> comparison, and the report
// directory (index.html, equations.tex, results.json, CSVs). Exit 0 when every gating observable passes,
// 1 otherwise (RunError after the report is written). Progress bar per stage on a TTY; --quiet for scripts.
// The pipeline and the report are imported inside the action: `dmftkit --help` must not load them.
import { join } from "node:path";
import type { Command } from "commander";
import { RunError } from "../util/errors.js";
import { DEFAULT_MAX_MINUTES, describeStages, type StageEstimate } from "../util/feasibility.js";
import type { Verdict } from "../validate/index.js";
import {
  FULL,
  QUICK,
  type SimulatedDynamics,
  type StageName,
  simulatedLabel,
  stageLabel,
  type ValidateOptions,
} from "../validate/settings.js";
import * as cli from "./common.js";
import { checkOutput } from "./output.js";
import { startProgress } from "./progress.js";

/**
 * Reports stage progress (progress.ts: a bar per stage on a terminal, a line every ~10 s otherwise, with
 * elapsed and remaining time of the whole validation from the up-front stage estimates) and one line per
 * finished stage without a terminal.
 */
function progressReporter(quiet: boolean, law: SimulatedDynamics) {
  const label = (stage: StageName) => stageLabel(stage, law);
  let estimates: StageEstimate[] = [];
  let current: { stage: StageName; started: number } | undefined;
  const progress = startProgress("validate", "", quiet);
  const tty = Boolean(process.stderr.isTTY);
  const finish = () => {
    if (!current || quiet) return;
    if (!tty) {
      const s = (performance.now() - current.started) / 1000;
      process.stderr.write(`validate: ${label(current.stage)} done in ${s.toFixed(1)} s\n`);
    }
    current = undefined;
  };
  const onPlan = (e: StageEstimate[]) => {
    estimates = e;
    if (!quiet) process.stderr.write(`validate: estimated\n${describeStages(e)}\n`);
  };
  const onProgress = (stage: StageName, done: number, total: number, work?: number) => {
    if (current?.stage !== stage) {
      finish();
      current = { stage, started: performance.now() };
      const i = estimates.findIndex((e) => e.label === label(stage));
      const after = i < 0 ? 0 : estimates.slice(i + 1).reduce((a, e) => a + e.seconds, 0);
      progress.restart(label(stage).padEnd(28), estimates[i]?.seconds, after);
    }
    progress.update(done, total, work);
  };
  return {
    onPlan,
    onProgress,
    stop: () => {
      finish();
      progress.stop();
    },
  };
}

export function registerValidate(program: Command): void {
  cli
    .addGridOptions(
      cli.addBatchFractionOptions(
        cli.addCommonOptions(
          program
            .command("validate")
            .argument("<model>", "model file (YAML)")
            .description("derive, solve, simulate and compare; write an HTML report and a verdict"),
          "output directory (default: out/<model-name>, plus _name=value for each --set)",
        ),
      ),
      {
        dt: "time step (default: the model's time.dt)",
        record: "compare at every K-th step (and the last) or log-spaced steps (default: every step)",
      },
    )
    .option("--d <d>", `simulation dimension (default ${FULL.d}; --quick ${QUICK.d})`)
    .option("--seeds <S>", `independent simulation seeds (default ${FULL.seeds}; --quick ${QUICK.seeds})`)
    .option(
      "--samples <M>",
      `DMFT Monte-Carlo samples (default ${FULL.samples}, more where Stein's long horizons need it; --quick ${QUICK.samples})`,
    )
    .option("--groups <G>", "DMFT independent sample groups for the standard errors (default 8)")
    .option("--batch <B>", "SGD minibatch size (learning rate eta = tau B)", "1")
    .option("--dynamics <name>", "sgf | gd | sgd-fraction: the dynamics of the gating comparison", "sgf")
    .option(
      "--time-axis <axis>",
      "linear | log: time axis of the report's plots (default log with --record log)",
    )
    .option(
      "--max-minutes <m>",
      `refuse a validation estimated to take longer (default ${DEFAULT_MAX_MINUTES})`,
    )
    .option("--quick", "smaller sizes: finishes in under 2 minutes on 2 cores", false)
    .action(async (modelPath: string, opts: Record<string, unknown>) => {
      const started = performance.now();
      const common = cli.commonOf(opts);
      const num = (name: string) =>
        opts[name] === undefined ? undefined : cli.parseIntOption(name, opts[name] as string, 1);
      const seeds =
        opts.seeds === undefined ? undefined : cli.parseIntOption("seeds", opts.seeds as string, 2, 2);
      const dynamics = cli.oneOf("dynamics", String(opts.dynamics), ["sgf", "gd", "sgd-fraction"] as const);
      const options: ValidateOptions = {
        d: num("d"),
        seeds,
        samples: num("samples"),
        groups:
          opts.groups === undefined ? undefined : cli.parseIntOption("groups", opts.groups as string, 2, 2),
        timeAxis:
          opts.timeAxis === undefined
            ? undefined
            : cli.oneOf("time-axis", String(opts.timeAxis), ["linear", "log"] as const),
        maxMinutes: cli.parseNumberOption("max-minutes", opts.maxMinutes as string | undefined),
        batch: cli.parseIntOption("batch", opts.batch as string, 1),
        dynamics,
        ...cli.batchFractionOf(opts, dynamics),
        ...cli.gridOf(opts),
        quick: Boolean(opts.quick),
        seed: common.seed,
      };
      // Everything that needs no computing is checked first: the model, the sizes and grids, the output.
      const [{ validate, preflight }, { loadModel }] = await Promise.all([
        import("../validate/index.js"),
        import("../model/load.js"),
      ]);
      // Loaded once (with the --set values) and handed to validate as a Model.
      const model = loadModel(modelPath, common.sets);
      preflight(model, options);
      const out = common.out ?? defaultOut(model.name, common.sets);
      checkOutput(out, "dir");
      const progress = progressReporter(common.quiet, options);
      const { prewarmMc } = await import("../solvers/mc/index.js");
      // The solver's worker threads start while the model is loaded and derived.
      prewarmMc(options.threads);
      let verdict: Verdict;
      try {
        verdict = await validate(model, {
          ...options,
          onPlan: progress.onPlan,
          onProgress: progress.onProgress,
        });
      } finally {
        progress.stop();
      }
      const [{ writeReport }, { consoleSummary }] = await Promise.all([
        import("../report/index.js"),
        import("../report/summary.js"),
      ]);
      const command = ["dmftkit validate", ...process.argv.slice(process.argv.indexOf("validate") + 1)];
      writeReport(verdict, out, {
        command: process.argv.includes("validate") ? command.join(" ") : undefined,
      });
      const seconds = (performance.now() - started) / 1000;
      if (!common.quiet) process.stderr.write(`${consoleSummary(verdict, out, seconds)}\n`);
      if (!verdict.pass)
        throw new RunError(`validation failed: ${failureText(verdict)} (${join(out, "index.html")})`);
    });
}

/** out/<model-name>, with the --set overrides appended (out/logistic-regression_lambda=0.1) so runs do not collide. */
export function defaultOut(name: string, sets: Record<string, number | string>): string {
  // Schedules are expressions ("1 / (1 + t)"): characters a folder name should not hold become '_'.
  const suffix = Object.entries(sets)
    .map(([k, v]) => `_${k}=${String(v).replace(/[^A-Za-z0-9.+-]+/g, "_")}`)
    .join("");
  return join("out", `${name}${suffix}`);
}

/** Why the gating table failed: disagreement, or values that could not be compared (named). */
export function failureText(v: Verdict): string {
  const rows = v.tables[0].rows.filter((r) => !r.pass);
  const disagree = rows.filter((r) => !r.problem).map((r) => r.name);
  const uncompared = rows.filter((r) => r.problem).map((r) => r.problem);
  return [
    ...(disagree.length > 0
      ? [`DMFT and ${simulatedLabel(v.settings)} simulation disagree on ${disagree.join(", ")}`]
      : []),
    ...uncompared,
  ].join("; ");
}
