// solve(): the DMFT solver dispatcher. `online` dynamics go to the delta -> infinity ODEs; linear models
// (derived.linear: constant d2L/dr2, ridge penalty) go to the exact closed equations unless the Monte-Carlo
// solver is forced; everything else goes to the Monte-Carlo solver (src/solvers/mc).
import type { Derived, Result } from "../types.js";
import { UsageError } from "../util/errors.js";
import { solveExactLinear, solveOnline } from "./exact/index.js";
import { solveMc } from "./mc/index.js";
import type { SolveOptions } from "./options.js";

export type { SolveOptions } from "./options.js";

export type SolverChoice = "auto" | "mc" | "exact";
export type SolveDynamics = SolveOptions["dynamics"] | "online";

/**
 * Which solver `solve` will run for these options ("mc", "exact-linear" or "online"). Persistent batch
 * membership (persistence > 0) correlates the weights over steps, which the closed linear equations do not
 * cover: the Monte-Carlo solver then runs for linear models too.
 */
export function chooseSolver(
  derived: Derived,
  dynamics: SolveDynamics,
  solver: SolverChoice = "auto",
  persistence = 0,
) {
  if (dynamics === "online") {
    if (solver === "mc") throw new UsageError("--dynamics online is solved by its ODEs; drop --solver mc");
    return "online" as const;
  }
  if (solver === "mc") return "mc" as const;
  const { k, kTeacher } = derived.model;
  if (solver === "exact" && (k > 1 || kTeacher > 1))
    throw new UsageError(
      `--solver exact: the closed equations are for k = 1 models (this one has k = ${k}, k_teacher = ${kTeacher})`,
    );
  if (solver === "exact" || (derived.linear && !(persistence > 0))) return "exact-linear" as const;
  return "mc" as const;
}

export async function solve(
  derived: Derived,
  opts: Omit<SolveOptions, "dynamics"> & { dynamics: SolveDynamics; solver?: SolverChoice },
): Promise<Result> {
  const { solver, dynamics, ...rest } = opts;
  const which = chooseSolver(derived, dynamics, solver, rest.persistence);
  if (which === "online") return solveOnline(derived, { dt: rest.dt, T: rest.T });
  if (dynamics === "online") throw new Error("unreachable");
  if (which === "exact-linear") {
    const { dt, T, seed, kernels, extrapolate, batchFraction, persistence } = rest;
    return solveExactLinear(derived, {
      dynamics,
      dt,
      T,
      seed,
      kernels,
      extrapolate,
      batchFraction,
      persistence,
    });
  }
  return solveMc(derived, { ...rest, dynamics });
}
