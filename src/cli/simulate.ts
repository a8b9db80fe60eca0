// `dmftkit simulate MODEL`: finite-d SGF / gradient flow / batch-fraction or minibatch SGD simulation over several seeds;
// writes the Result JSON (mean and standard error per observable), progress bar on a TTY, summary on stderr.
import type { Command } from "commander";
import type { SimulateOptions } from "../simulate/index.js";
import type { Result, SimulateMeta } from "../types.js";
import { observableOrder } from "../validate/compare.js";
import * as cli from "./common.js";
import { checkOutput } from "./output.js";

const DYNAMICS = ["sgf", "gd", "sgd", "sgd-fraction"] as const;

/** Short table of the observables (one per row, so that k > 1 models' Q and M entries fit) at a few times
 *  (first, middle, last), with standard errors. */
export function summaryTable(result: Result<SimulateMeta>): string {
  const K = result.t.length - 1;
  const cols = [...new Set([0, Math.floor(K / 2), K])];
  const names = observableOrder(result);
  const head = [
    "".padEnd(11),
    ...cols.map((k) => `t = ${Number(result.t[k].toPrecision(4))}`.padStart(22)),
  ].join(" ");
  const lines = names.map((n) =>
    [
      n.padEnd(11),
      ...cols.map((k) => {
        const se = result.stderr[n]?.[k] ?? Number.NaN;
        return `${result.observables[n]![k].toPrecision(5)} ± ${se.toPrecision(2)}`.padStart(22);
      }),
    ].join(" "),
  );
  const meta = result.meta;
  const timing = meta.timings;
  const info =
    `${meta.model}: ${meta.dynamics}, d = ${meta.d}, n = ${meta.n}, ${meta.seeds} seeds, ${meta.steps} steps; ` +
    `${timing.total_s.toFixed(2)} s (${(timing.seconds_per_step * 1e3).toPrecision(3)} ms per step per seed)`;
  return [info, head, ...lines].join("\n");
}

export function registerSimulate(program: Command): void {
  cli
    .addGridOptions(
      cli.addBatchFractionOptions(
        cli.addCommonOptions(
          program
            .command("simulate")
            .argument("<model>", "model file (YAML)")
            .description("simulate SGF, gradient flow or minibatch SGD at finite dimension, with error bars"),
          "output JSON file (default: stdout)",
        ),
      ),
      {
        dt: "SGF/GD time step (default: the model's time.dt; for sgd: the recording grid)",
        record: "record every K-th point of the dt grid (and the last) or log-spaced points",
      },
    )
    .option("--d <d>", "dimension d (n = round(delta d) samples)", "2000")
    .option("--seeds <S>", "independent problems (new X, teacher, noise)", "8")
    .option("--dynamics <name>", "sgf | gd | sgd | sgd-fraction", "sgf")
    .option("--batch <B>", "SGD batch size (learning rate tau * B)")
    .option(
      "--sgd-schedule <how>",
      "sgd with a tau schedule: eta (learning rate B tau(t)) | batch (eta = B tau(0), batch size eta / tau(t))",
      "eta",
    )
    .option(
      "--record-interval <R>",
      "instead of --record: a recording interval in time units, a multiple of dt",
    )
    .option("--two-time", "also record C_theta(t, s) on the recording grid", false)
    .action(async (modelPath: string, opts: Record<string, unknown>) => {
      const common = cli.commonOf(opts);
      const dynamics = cli.oneOf("dynamics", String(opts.dynamics), DYNAMICS);
      const { record: recordEvery, ...grid } = cli.gridOf(opts);
      const simOpts: SimulateOptions = {
        d: cli.parseIntOption("d", opts.d as string, 2000),
        seeds: cli.parseIntOption("seeds", opts.seeds as string, 8),
        dynamics,
        batch: opts.batch === undefined ? undefined : cli.parseIntOption("batch", opts.batch as string, 1),
        ...cli.batchFractionOf(opts, dynamics),
        sgdSchedule: cli.oneOf("sgd-schedule", String(opts.sgdSchedule), ["eta", "batch"] as const),
        ...grid,
        record: cli.parseNumberOption("record-interval", opts.recordInterval as string | undefined),
        recordEvery,
        seed: common.seed,
        twoTime: Boolean(opts.twoTime),
      };
      if (common.out) checkOutput(common.out, "file");
      // Loaded here, not at start-up (`--help` must stay fast).
      const [{ loadDerived }, { planSimulate, simulate }] = await Promise.all([
        import("../symbolic/index.js"),
        import("../simulate/index.js"),
      ]);
      const derived = loadDerived(modelPath, common.sets);
      const { checkTimeGrid, tidyTimes } = await import("../util/time.js");
      checkTimeGrid(simOpts.T ?? derived.model.time.T, simOpts.dt ?? derived.model.time.dt, "simulate");
      const { seconds } = planSimulate(derived, simOpts);
      const result = await cli.withProgress(
        "simulate",
        "seeds",
        common.quiet,
        (onProgress) => simulate(derived, { ...simOpts, onProgress }),
        seconds,
      );
      cli.writeJsonOut(common.out, tidyTimes(result));
      if (!common.quiet) process.stderr.write(`${summaryTable(result)}\n`);
    });
}
