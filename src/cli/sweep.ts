// `dmftkit sweep MODEL --grid NAME=values ... --out DIR`: a grid of solves (each exactly `dmftkit solve`
// with the grid values as --set), stored point by point under DIR, solved on this machine's cores, on a
// Redis queue (--queue) or one shard at a time (--shard); collected into sweep.json, points.csv, index.html.
import type { Command } from "commander";
import { UsageError } from "../util/errors.js";
import { addCommonOptions, commonOf, parseIntOption, parseNumberOption } from "./common.js";
import { addSolveOptions, solveOptionsOf } from "./solve.js";

function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

export function registerSweep(program: Command): void {
  addSolveOptions(
    addCommonOptions(
      program.command("sweep"),
      "output directory (required): the store and the collected files",
    ),
  )
    .argument("<model>", "model file (YAML)")
    .description(
      "solve a grid of parameter values (locally, on a Redis queue, or by shards) and collect a phase diagram",
    )
    .option(
      "--grid <NAME=values>",
      "grid axis: NAME=v1,v2,... or NAME=a:b:n (n values from a to b); repeatable",
      collect,
      [],
    )
    .option("--jobs <J>", "points solved at once on this machine (default: one per core)")
    .option(
      "--queue <url>",
      "put the points on a BullMQ queue at redis://HOST:PORT and collect what workers solve",
    )
    .option("--shard <i/n>", "solve only slice i of n (0 <= i < n) of the grid, e.g. one SLURM array task")
    .option("--at <t>", "time of the phase diagram in index.html (default: the last recorded time)")
    .action(async (modelPath: string, opts: Record<string, unknown>) => {
      const common = commonOf(opts);
      if (!common.out) throw new UsageError("sweep needs --out DIR");
      if (opts.queue !== undefined && opts.shard !== undefined)
        throw new UsageError("--queue and --shard exclude each other");
      const [{ parseAxis, parseShard, checkAxes }, { runSweep }] = await Promise.all([
        import("../sweep/grid.js"),
        import("../sweep/index.js"),
      ]);
      const axes = (opts.grid as string[]).map(parseAxis);
      checkAxes(axes, common.sets);
      await runSweep({
        modelPath,
        axes,
        sets: common.sets,
        options: solveOptionsOf(opts, common.seed),
        out: common.out,
        jobs: opts.jobs === undefined ? undefined : parseIntOption("jobs", opts.jobs as string, 1),
        queue: opts.queue as string | undefined,
        shard: opts.shard === undefined ? undefined : parseShard(opts.shard as string),
        at: parseNumberOption("at", opts.at as string | undefined, false),
        command: process.argv.includes("sweep")
          ? ["dmftkit sweep", ...process.argv.slice(process.argv.indexOf("sweep") + 1)].join(" ")
          : undefined,
        quiet: common.quiet,
      });
    });
}
