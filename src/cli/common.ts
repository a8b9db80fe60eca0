// Options shared by every subcommand (--set, --seed, --out, --quiet, --debug) and their parsing.
// Also the small output helpers every subcommand shares: option checks, writing files/JSON, progress bars.
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import cliProgress from "cli-progress";
import type { Command } from "commander";
import { RunError, UsageError } from "../util/errors.js";

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
 * A progress bar on stderr (only on a TTY and without --quiet), started on the first report:
 * `onProgress(done, total)`; `stop()` in a finally block.
 */
/** Runs `task` with a progress bar fed by its onProgress callback; the bar is stopped even when it throws. */
export async function withProgress<T>(
  label: string,
  unit: string,
  quiet: boolean,
  task: (onProgress: (done: number, total: number) => void) => Promise<T>,
): Promise<T> {
  const bar = progressBar(label, unit, quiet);
  try {
    return await task(bar.onProgress);
  } finally {
    bar.stop();
  }
}

function progressBar(
  label: string,
  unit: string,
  quiet: boolean,
): { onProgress: (done: number, total: number) => void; stop: () => void } {
  if (quiet || !process.stderr.isTTY) return { onProgress: () => {}, stop: () => {} };
  const bar = new cliProgress.SingleBar(
    { format: `${label} [{bar}] {value}/{total} ${unit} | {duration_formatted}`, stream: process.stderr },
    cliProgress.Presets.shades_classic,
  );
  let started = false;
  return {
    onProgress: (done, total) => {
      if (!started) {
        bar.start(total, 0);
        started = true;
      }
      bar.update(done);
    },
    stop: () => {
      if (started) bar.stop();
    },
  };
}
