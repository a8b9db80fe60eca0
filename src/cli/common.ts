// Options shared by every subcommand (--set, --seed, --out, --quiet, --debug) and their parsing.
// Subcommand modules (src/cli/<name>.ts) call addCommonOptions and commonOf; they own nothing else here.
import type { Command } from "commander";
import { UsageError } from "../util/errors.js";

export interface CommonOptions {
  /** --set name=value overrides, in order given. */
  sets: Record<string, number>;
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

/** Parses `name=value` strings into finite numbers; anything else is a UsageError. */
export function parseSets(items: string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const item of items) {
    const eq = item.indexOf("=");
    if (eq <= 0) throw new UsageError(`--set expects name=value, got '${item}'`);
    const name = item.slice(0, eq).trim();
    const text = item.slice(eq + 1).trim();
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name))
      throw new UsageError(`--set: '${name}' is not a parameter name`);
    const value = Number(text);
    if (text === "" || !Number.isFinite(value)) {
      throw new UsageError(`--set ${name}: '${text}' is not a finite number`);
    }
    out[name] = value;
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
