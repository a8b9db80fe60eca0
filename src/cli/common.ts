// Options shared by every subcommand (--set, --seed, --out, --quiet, --debug) and their parsing.
// Also the small output helpers every subcommand shares: option checks, writing files/JSON, progress bars.
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import type { Command } from "commander";
import { RunError, UsageError } from "../util/errors.js";
import type { RecordSpec } from "../util/record.js";
import { startProgress } from "./progress.js";

export interface CommonOptions {
  /** --set name=value overrides, in order given. */
  sets: Record<string, number | string>;
  seed: number;
  out?: string;
  quiet: boolean;
  debug: boolean;
}

function collectSet(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

/** Adds --set, --seed, --out, --quiet, --debug to a subcommand. */
export function addCommonOptions(cmd: Command, outHelp = "output file or directory"): Command {
  return cmd
    .option("--set <name=value>", "override a model parameter (repeatable)", collectSet, [])
    .option("--seed <n>", "seed of every random stream", "1")
    .option("--out <path>", outHelp)
    .option("--quiet", "no progress bars or summaries on stderr", false)
    .option("--debug", "print stack traces on errors", false);
}

/**
 * Parses `name=value` strings: a finite number, or anything else as a schedule (an expression in t, checked
 * by the model loader, e.g. tau="1 / (1 + t)").
 */
export function parseSets(items: string[]): Record<string, number | string> {
  const out: Record<string, number | string> = {};
  for (const item of items) {
    const eq = item.indexOf("=");
    if (eq <= 0) throw new UsageError(`--set expects name=value, got '${item}'`);
    const name = item.slice(0, eq).trim();
    const text = item.slice(eq + 1).trim();
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name))
      throw new UsageError(`--set: '${name}' is not a parameter name`);
    const value = Number(text);
    if (text === "") throw new UsageError(`--set ${name}: empty value`);
    if (Number.isNaN(value)) out[name] = text;
    else if (!Number.isFinite(value)) throw new UsageError(`--set ${name}: '${text}' is not a finite number`);
    else out[name] = value;
  }
  return out;
}

/** Parses a positive integer option (e.g. --d, --seeds); `min` defaults to 1. */
export function parseIntOption(name: string, text: string | undefined, fallback: number, min = 1): number {
  if (text === undefined) return fallback;
  const v = Number(text);
  if (!Number.isInteger(v) || v < min)
    throw new UsageError(`--${name} must be an integer >= ${min}, got '${text}'`);
  return v;
}

/** Parses a finite number option (e.g. --dt, --T); `positive` rejects values <= 0. */
export function parseNumberOption(
  name: string,
  text: string | undefined,
  positive = true,
): number | undefined {
  if (text === undefined) return undefined;
  const v = Number(text);
  if (!Number.isFinite(v) || (positive && v <= 0)) {
    throw new UsageError(`--${name} must be a ${positive ? "positive " : ""}finite number, got '${text}'`);
  }
  return v;
}

/**
 * Parses --record: K (every K-th step of the dt grid, a whole number) or "log" (log-spaced steps). A
 * non-integer is refused with a pointer to --record-interval (simulate's time interval before issue 15).
 */
export function parseRecordOption(text: string | undefined): RecordSpec | undefined {
  if (text === undefined) return undefined;
  if (text === "log") return "log";
  if (/^[0-9]+$/.test(text) && Number(text) >= 1) return Number(text);
  const interval =
    Number(text) > 0 ? `; a recording interval in time units is --record-interval ${text} (simulate)` : "";
  throw new UsageError(
    `--record takes K (every K-th step of the dt grid, a whole number >= 1) or 'log' (log-spaced steps), got '${text}'${interval}`,
  );
}

/** The common options of a parsed subcommand. */
export function commonOf(opts: Record<string, unknown>): CommonOptions {
  return {
    sets: parseSets((opts.set as string[]) ?? []),
    seed: parseIntOption("seed", opts.seed as string, 1, 0),
    out: opts.out as string | undefined,
    quiet: Boolean(opts.quiet),
    debug: Boolean(opts.debug),
  };
}

/** Checks that an option's value is one of `allowed`; anything else is a UsageError. */
export function oneOf<T extends string>(name: string, value: string, allowed: readonly T[]): T {
  if (!(allowed as readonly string[]).includes(value)) {
    throw new UsageError(`--${name} must be one of ${allowed.join(", ")}, got '${value}'`);
  }
  return value as T;
}

/** Writes text to `path` (creating its directory); a failure is a RunError naming the path. */
export function writeText(path: string, text: string): void {
  try {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, text);
  } catch (err) {
    throw new RunError(`cannot write '${path}': ${(err as NodeJS.ErrnoException).code ?? err}`);
  }
}

/** Writes a Result (or any value) as one JSON line to `out`, or to stdout when no --out was given. */
export function writeJsonOut(out: string | undefined, value: unknown): void {
  const json = `${JSON.stringify(value)}\n`;
  if (out) writeText(out, json);
  else process.stdout.write(json);
}

/**
 * Runs `task` with progress on stderr (src/cli/progress.ts: a bar on a terminal, a line every ~10 s
 * otherwise; elapsed and remaining time, from `estimate` seconds until the first unit finishes), fed by the
 * task's onProgress callback; stopped even when the task throws.
 */
export async function withProgress<T>(
  label: string,
  unit: string,
  quiet: boolean,
  task: (onProgress: (done: number, total: number, work?: number) => void) => Promise<T>,
  estimate?: number,
): Promise<T> {
  const progress = startProgress(label, unit, quiet, estimate);
  try {
    return await task(progress.update);
  } finally {
    progress.stop();
  }
}

/** --batch-fraction and --persistence (sgd-fraction, src/util/batch.ts), for solve, simulate and validate. */
export function addBatchFractionOptions(cmd: Command): Command {
  return cmd
    .option(
      "--batch-fraction <b>",
      "sgd-fraction: each sample in the step's batch with probability b, weight 1/b",
    )
    .option("--persistence <tau_p>", "sgd-fraction: persistence time of each sample's batch membership");
}

/** The values of addBatchFractionOptions; refused (exit 2) with any dynamics other than sgd-fraction. */
export function batchFractionOf(
  opts: Record<string, unknown>,
  dynamics: string,
): { batchFraction?: number; persistence?: number } {
  if (dynamics !== "sgd-fraction" && (opts.batchFraction ?? opts.persistence) !== undefined)
    throw new UsageError("--batch-fraction and --persistence apply to --dynamics sgd-fraction only");
  return {
    batchFraction: parseNumberOption("batch-fraction", opts.batchFraction as string | undefined),
    persistence: parseNumberOption("persistence", opts.persistence as string | undefined),
  };
}

/** --dt, --T, --record and --threads, for solve, simulate and validate (`help`: what dt and --record mean there). */
export function addGridOptions(cmd: Command, help: { dt: string; record: string }): Command {
  return cmd
    .option("--dt <D>", help.dt)
    .option("--T <T>", "horizon (default: the model's time.T)")
    .option("--record <K|log>", help.record)
    .option("--threads <n>", "worker threads (default: one per core; results do not depend on it)");
}

/** The values of addGridOptions. */
export function gridOf(opts: Record<string, unknown>): {
  dt?: number;
  T?: number;
  record?: RecordSpec;
  threads?: number;
} {
  return {
    dt: parseNumberOption("dt", opts.dt as string | undefined),
    T: parseNumberOption("T", opts.T as string | undefined),
    record: parseRecordOption(opts.record as string | undefined),
    threads: opts.threads === undefined ? undefined : parseIntOption("threads", opts.threads as string, 1),
  };
}
