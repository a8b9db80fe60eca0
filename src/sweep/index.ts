// runSweep(): plans the grid, solves the points missing from the store (locally, on a queue, or one shard
// of them), and, once every point is stored, writes DIR/sweep.json, DIR/points.csv and DIR/index.html.
import { join } from "node:path";
import type { CliSolveOptions } from "../cli/solve.js";
import { RunError, UsageError } from "../util/errors.js";
import type { Executor } from "../util/executor.js";
import { pointsCsv, sweepJson } from "./collect.js";
import { type Axis, type Shard, shardOf } from "./grid.js";
import { runLocal } from "./local.js";
import { sweepPage } from "./page.js";
import { type PointFailure, planSweep } from "./plan.js";
import { runOnQueue } from "./queue.js";
import { Store, writeAtomic } from "./store.js";

export interface SweepConfig {
  modelPath: string;
  axes: Axis[];
  /** Fixed --set values (not on the grid; a string is a schedule). */
  sets: Record<string, number | string>;
  options: CliSolveOptions;
  out: string;
  jobs?: number;
  /** Runs the points of a local sweep (default: worker threads, src/sweep/local.ts). */
  executor?: Executor;
  queue?: string;
  shard?: Shard;
  /** Time of the phase diagram in index.html (default: the last recorded time). */
  at?: number;
  command?: string;
  quiet: boolean;
}

export interface SweepSummary {
  points: number;
  /** Points of this run (its shard) already in the store. */
  reused: number;
  computed: number;
  /** Every grid point is stored and the outputs are written. */
  complete: boolean;
}

function failureError(failures: PointFailure[]): Error {
  const lines = failures.slice(0, 5).map(
    (f) =>
      `  ${Object.entries(f.params)
        .map(([k, v]) => `${k}=${v}`)
        .join(" ")}: ${f.message}`,
  );
  const more = failures.length > 5 ? `\n  ... and ${failures.length - 5} more` : "";
  const text = `${failures.length} point(s) failed (the others are stored; re-run to retry):\n${lines.join("\n")}${more}`;
  return failures.every((f) => f.exitCode === 2) ? new UsageError(text) : new RunError(text);
}

export async function runSweep(cfg: SweepConfig): Promise<SweepSummary> {
  const { model, points } = planSweep(cfg.modelPath, cfg.axes, cfg.sets, cfg.options);
  const store = new Store(cfg.out);
  const mine = cfg.shard ? shardOf(points, cfg.shard) : points;
  const todo = mine.filter((p) => !store.has(p.key));
  const reused = mine.length - todo.length;
  if (!cfg.quiet && reused > 0)
    process.stderr.write(`sweep: ${reused} of ${mine.length} points already stored\n`);
  const failures = cfg.queue
    ? await runOnQueue(cfg.queue, todo, store, cfg.quiet)
    : await runLocal(todo, store, {
        jobs: cfg.jobs,
        threads: cfg.options.threads,
        executor: cfg.executor,
        quiet: cfg.quiet,
      });
  if (failures.length > 0) throw failureError(failures);
  const summary = { points: points.length, reused, computed: todo.length, complete: false };
  if (!points.every((p) => store.has(p.key))) {
    if (!cfg.quiet)
      process.stderr.write(
        `sweep: shard done; run the same command without --shard once every shard has finished to collect ${cfg.out}/sweep.json\n`,
      );
    return summary;
  }
  const stored = points.map((p) => store.read(p.key));
  writeAtomic(join(cfg.out, "sweep.json"), `${JSON.stringify(sweepJson(cfg.axes, stored))}\n`);
  writeAtomic(join(cfg.out, "points.csv"), pointsCsv(cfg.axes, stored));
  writeAtomic(
    join(cfg.out, "index.html"),
    sweepPage(cfg.axes, stored, { model, command: cfg.command, at: cfg.at }),
  );
  if (!cfg.quiet)
    process.stderr.write(
      `sweep: ${points.length} points in ${join(cfg.out, "sweep.json")}, points.csv, index.html\n`,
    );
  return { ...summary, complete: true };
}
