// `dmftkit solve MODEL`: solve the model's DMFT (Monte-Carlo, exact closed equations for linear models, or
// the online ODEs) and write the Result JSON; progress bar on a TTY, summary on stderr.
import { statfsSync } from "node:fs";
import { dirname, resolve } from "node:path";
import type { Command } from "commander";
import type { SolveDynamics, SolverChoice } from "../solvers/index.js";
import type { McContinuation } from "../solvers/mc/index.js";
import type { SolveOptions } from "../solvers/options.js";
import type { Result } from "../types.js";
import { DEFAULT_SAMPLES } from "../util/defaults.js";
import { UsageError } from "../util/errors.js";
import { checkFeasible, DEFAULT_MAX_MINUTES, formatBytes, formatSeconds } from "../util/feasibility.js";
import { observableOrder } from "../validate/compare.js";
import * as cli from "./common.js";
import { checkOutput } from "./output.js";

const DYNAMICS = ["sgf", "gd", "sgd-limit", "sgd-fraction", "online"] as const;
const SOLVERS = ["auto", "mc", "exact"] as const;
const RESPONSES = ["auto", "tangent", "branch", "stein"] as const;

function summary(result: Result): string {
  const k = result.t.length - 1;
  const lines = [`t = ${result.t[k]}:`];
  for (const name of observableOrder(result)) {
    const se = result.stderr[name]?.[k] ?? Number.NaN;
    lines.push(`  ${name.padEnd(11)} ${result.observables[name]![k].toPrecision(6)} ± ${se.toPrecision(2)}`);
  }
  const warning = (result.meta as { response?: { warning?: string } }).response?.warning;
  if (warning) lines.push(`note: ${warning}`);
  return lines.join("\n");
}

/** The solve options (shared with `dmftkit sweep`, whose every point is one solve). */
export function addSolveOptions(cmd: Command): Command {
  return cli
    .addGridOptions(
      cli.addBatchFractionOptions(
        cmd.option(
          "--dynamics <name>",
          "sgf | gd | sgd-limit | sgd-fraction | online (delta -> infinity ODEs)",
          "sgf",
        ),
      ),
      {
        dt: "time step (default: the model's time.dt)",
        record: "write every K-th step (and the last) or log-spaced steps (default: every step)",
      },
    )
    .option(
      "--samples <M>",
      `Monte-Carlo population size (default ${DEFAULT_SAMPLES}; more where Stein's long horizons need it)`,
    )
    .option("--groups <G>", "independent sample groups for the standard errors", "8")
    .option("--solver <name>", "auto (exact for linear models, else mc) | mc | exact", "auto")
    .option("--extrapolate", "Richardson extrapolation 2 f(dt/2) - f(dt) to the continuum", false)
    .option("--kernels", "also write C_theta, R_theta, rho, Gamma (on the recorded grid)", false)
    .option("--max-minutes <m>", `refuse a solve estimated to take longer (default ${DEFAULT_MAX_MINUTES})`)
    .option(
      "--response <name>",
      "response estimator: auto (tangent for smooth models at modest N, branch for k = 1 models whose l jumps, else stein) | tangent | branch | stein",
      "auto",
    );
}

export type CliSolveOptions = Omit<SolveOptions, "dynamics"> & {
  dynamics: SolveDynamics;
  solver: SolverChoice;
};

/** Parses the options added by addSolveOptions (plain JSON: sweeps hash it and send it to workers). */
export function solveOptionsOf(opts: Record<string, unknown>, seed: number): CliSolveOptions {
  const dynamics = cli.oneOf("dynamics", String(opts.dynamics), DYNAMICS);
  const fraction = cli.batchFractionOf(opts, dynamics);
  return {
    solver: cli.oneOf("solver", String(opts.solver), SOLVERS),
    dynamics,
    // Only when given, so that the options of other dynamics stay as they were (sweeps hash them).
    ...(dynamics === "sgd-fraction" ? fraction : {}),
    ...cli.gridOf(opts),
    // Only when given: the planner raises the default where Stein needs more samples (long horizons).
    ...(opts.samples === undefined
      ? {}
      : { samples: cli.parseIntOption("samples", opts.samples as string, 1) }),
    groups: cli.parseIntOption("groups", opts.groups as string, 8, 2),
    seed,
    extrapolate: Boolean(opts.extrapolate),
    kernels: Boolean(opts.kernels),
    response: cli.oneOf("response", String(opts.response), RESPONSES),
  };
}

/** Options of the checkpoint's settings (checkpointSettings) and their command-line names. */
const KEPT: [key: string, option: string][] = [
  ["dynamics", "dynamics"],
  ["batchFraction", "batchFraction"],
  ["persistence", "persistence"],
  ["dt", "dt"],
  ["samples", "samples"],
  ["groups", "groups"],
  ["seed", "seed"],
  ["extrapolate", "extrapolate"],
  ["response", "response"],
];

/** Free bytes on the file system that will hold `file`. */
function freeBytes(file: string): number {
  const fs = statfsSync(dirname(resolve(file)));
  return fs.bavail * fs.bsize;
}

export function registerSolve(program: Command): void {
  addSolveOptions(cli.addCommonOptions(program.command("solve"), "output JSON file (default: stdout)"))
    .option(
      "--checkpoint <file>",
      "also write the Monte-Carlo solver's state to FILE (binary), for --resume to a longer --T",
    )
    .option(
      "--resume <file>",
      "continue the solve of a --checkpoint FILE to the given --T (its settings are kept; the JSON covers t = 0..T)",
    )
    .argument("<model>", "model file (YAML)")
    .description("solve the DMFT equations (Monte-Carlo or exact) and write the observables")
    .action(async (modelPath: string, opts: Record<string, unknown>, cmd: Command) => {
      const common = cli.commonOf(opts);
      let solveOpts = solveOptionsOf(opts, common.seed);
      if (common.out) checkOutput(common.out, "file");
      const checkpointFile = opts.checkpoint as string | undefined;
      const resumeFile = opts.resume as string | undefined;
      if (checkpointFile) checkOutput(checkpointFile, "file");
      // Loaded here, not at start-up (`--help` must stay fast).
      const [
        { loadDerived },
        { chooseSolver, solve },
        { planMc, prewarmMc, resumePlan, solveMc },
        ckpt,
        ckptFile,
      ] = await Promise.all([
        import("../symbolic/index.js"),
        import("../solvers/index.js"),
        import("../solvers/mc/index.js"),
        import("../solvers/mc/checkpoint.js"),
        import("../solvers/mc/checkpoint-file.js"),
      ]);
      // --resume: the checkpoint's settings, unless given here (then they must agree: solveMc checks).
      const resumed = resumeFile ? { file: resumeFile, ...ckptFile.readCheckpoint(resumeFile) } : undefined;
      if (resumed) {
        const kept: Record<string, unknown> = {};
        for (const [key, option] of KEPT) {
          if (cmd.getOptionValueSource(option) !== "cli")
            kept[key] = resumed.header.settings[key] ?? undefined;
        }
        solveOpts = { ...solveOpts, ...kept, solver: "mc" };
      }
      // The Monte-Carlo solver's worker threads start while the model is loaded and derived (if another
      // solver is chosen, the idle workers do not keep the process alive).
      prewarmMc(solveOpts.threads);
      const derived = loadDerived(modelPath, common.sets);
      const { checkTimeGrid, tidyTimes } = await import("../util/time.js");
      checkTimeGrid(solveOpts.T ?? derived.model.time.T, solveOpts.dt ?? derived.model.time.dt, "solve");
      const which = chooseSolver(derived, solveOpts.dynamics, solveOpts.solver, solveOpts.persistence);
      if ((checkpointFile || resumed) && (which !== "mc" || solveOpts.dynamics === "online")) {
        throw new UsageError(
          `solve: --checkpoint and --resume are for the Monte-Carlo solver (this solve is ${which})`,
        );
      }
      if (!common.quiet && which !== "mc") process.stderr.write(`solve: ${which} solver (deterministic)\n`);
      let estimate: number | undefined;
      if (which === "mc" && solveOpts.dynamics !== "online") {
        // Time and memory up front: refuse (exit 2) what would not finish within --max-minutes.
        const mcOpts = { ...solveOpts, dynamics: solveOpts.dynamics };
        const plan = resumed ? resumePlan(derived, mcOpts, {}, resumed.header) : planMc(derived, mcOpts);
        const lv = plan.levels[plan.levels.length - 1];
        let saving = "";
        if (checkpointFile) {
          // The checkpoint's size up front; refused when the disk cannot hold it.
          const size = ckpt.checkpointSize(plan, derived.model.k, derived.model.kTeacher);
          const free = freeBytes(checkpointFile);
          if (size > free) {
            throw new UsageError(
              `solve: the checkpoint needs ~${formatBytes(size)} but ${dirname(resolve(checkpointFile))} has ${formatBytes(free)} free; free space, write it elsewhere, or lower --samples or --T`,
            );
          }
          saving = `, checkpoint ~${formatBytes(size)}`;
        }
        const stage = {
          label: "Monte-Carlo DMFT",
          seconds: plan.seconds,
          bytes: plan.bytes,
          detail: `${lv.N} steps${resumed ? ` (resumed from step ${resumed.header.N << (plan.levels.length - 1)})` : ""}, ${plan.sizes.reduce((a, b) => a + b, 0)} samples in ${plan.sizes.length} groups, ${plan.multiplyAdds.toPrecision(2)} multiply-adds on ${plan.threads} threads${saving}`,
        };
        const maxMinutes = cli.parseNumberOption("max-minutes", opts.maxMinutes as string | undefined);
        checkFeasible("solve", [stage], maxMinutes, ", or raise --dt");
        estimate = plan.seconds;
        if (!common.quiet) {
          process.stderr.write(
            `solve: ${stage.detail}; estimated ~${formatSeconds(plan.seconds)}, ~${formatBytes(plan.bytes)}\n`,
          );
        }
      }
      const cont: McContinuation = { save: checkpointFile, resume: resumed };
      const result = await cli.withProgress(
        "solve",
        "groups",
        common.quiet,
        (onProgress) =>
          checkpointFile || resumed
            ? solveMc(
                derived,
                { ...solveOpts, dynamics: solveOpts.dynamics as SolveOptions["dynamics"], onProgress },
                {},
                cont,
              )
            : solve(derived, { ...solveOpts, onProgress }),
        estimate,
      );
      cli.writeJsonOut(common.out, tidyTimes(result));
      if (checkpointFile && !common.quiet)
        process.stderr.write(`solve: checkpoint written to ${checkpointFile}\n`);
      if (!common.quiet) process.stderr.write(`${summary(result)}\n`);
    });
}
