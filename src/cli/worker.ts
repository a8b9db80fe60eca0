// `dmftkit worker --queue redis://HOST:PORT`: takes sweep points from the queue and solves them until
// SIGTERM/SIGINT (then finishes its current points and exits 0). Run any number, on any machines.
import type { Command } from "commander";
import { UsageError } from "../util/errors.js";
import { parseIntOption } from "./common.js";

export function registerWorker(program: Command): void {
  program
    .command("worker")
    .description("solve sweep points from a Redis queue (see `dmftkit sweep --queue`) until SIGTERM/SIGINT")
    .option("--queue <url>", "the queue's Redis server, redis://HOST:PORT")
    .option("--jobs <J>", "points solved at once (default: one per core)")
    .option("--lock <ms>", "a killed worker's point goes back to the queue after this long (ms)", "10000")
    .option("--quiet", "no log lines on stderr", false)
    .option("--debug", "print stack traces on errors", false)
    .action(async (opts: Record<string, unknown>) => {
      if (typeof opts.queue !== "string") throw new UsageError("worker needs --queue redis://HOST:PORT");
      const { runWorker } = await import("../sweep/queue.js");
      await runWorker(opts.queue, {
        jobs: opts.jobs === undefined ? undefined : parseIntOption("jobs", opts.jobs as string, 1),
        lockMs: parseIntOption("lock", opts.lock as string, 10000, 1000),
        quiet: Boolean(opts.quiet),
      });
    });
}
