// solve(): the DMFT solver dispatcher. For now every request goes to the Monte-Carlo solver; the exact
// solvers of src/solvers/exact (linear models, spectral oracle, online ODEs) are wired in by the lead.
import type { Derived, Result } from "../types.js";
import { solveMc } from "./mc/index.js";
import type { SolveOptions } from "./options.js";

export type { SolveOptions } from "./options.js";

export type SolverChoice = "auto" | "mc" | "exact";

export async function solve(
  derived: Derived,
  opts: SolveOptions & { solver?: SolverChoice },
): Promise<Result> {
  const { solver: _solver, ...rest } = opts;
  return solveMc(derived, rest);
}
