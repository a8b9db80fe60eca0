// The dmftkit command line: wires subcommands (each in src/cli/<name>.ts) into commander and maps
// errors to exit codes (0 ok, 1 run failed, 2 bad input/usage). One line on stderr per error;
// the stack trace only with --debug.
import { Command, CommanderError } from "commander";
import { exitCodeOf } from "../util/errors.js";
import { registerDerive } from "./derive.js";
import { registerPlayground } from "./playground.js";
import { registerSimulate } from "./simulate.js";
import { registerSolve } from "./solve.js";
import { registerSweep } from "./sweep.js";
import { registerValidate } from "./validate.js";
import { registerWorker } from "./worker.js";

export function buildProgram(): Command {
  const program = new Command();
  program
    .name("dmftkit")
    .description(
      "Dynamical mean-field theory of stochastic gradient flow and SGD:\n" +
        "declare a model, derive its DMFT system, solve it, and validate it against simulation.",
    )
    .version(process.env.npm_package_version ?? "0.1.0")
    .showHelpAfterError("(run with --help for usage)")
    .exitOverride();
  registerDerive(program);
  registerValidate(program);
  registerSimulate(program);
  registerSolve(program);
  registerSweep(program);
  registerWorker(program);
  registerPlayground(program);
  return program;
}

export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  const debug = argv.includes("--debug");
  try {
    await program.parseAsync(argv, { from: "user" });
    return typeof process.exitCode === "number" ? process.exitCode : 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and --version end with code 0; every other commander error is a usage error.
      return err.exitCode === 0 ? 0 : 2;
    }
    const message = err instanceof Error ? err.message : String(err);
    process.stderr.write(`dmftkit: ${message}\n`);
    if (debug && err instanceof Error && err.stack) process.stderr.write(`${err.stack}\n`);
    return exitCodeOf(err);
  }
}
