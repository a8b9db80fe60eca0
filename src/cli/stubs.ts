// Subcommands that are declared but not built yet: they exit 2 with "not implemented yet".
// Each one moves to its own module (src/cli/<name>.ts) when its stage lands.
import type { Command } from "commander";
import { UsageError } from "../util/errors.js";
import { addCommonOptions } from "./common.js";

const STUBS: Array<[string, string]> = [
  ["derive", "derive the model's derivatives and DMFT system, print them, write JSON/LaTeX/HTML"],
  ["simulate", "simulate SGF, gradient flow or minibatch SGD at finite dimension, with error bars"],
  ["solve", "solve the DMFT equations (Monte-Carlo or exact) and write the observables"],
  ["validate", "derive, solve, simulate and compare; write an HTML report and a verdict"],
];

export function registerStubs(program: Command, skip: string[] = []): void {
  for (const [name, description] of STUBS) {
    if (skip.includes(name)) continue;
    addCommonOptions(
      program.command(name).argument("<model>", "model file (YAML)").description(description),
    ).action(() => {
      throw new UsageError(`'${name}' is not implemented yet`);
    });
  }
}
