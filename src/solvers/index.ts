// solve(): the DMFT solver dispatcher. `online` dynamics go to the delta -> infinity ODEs; linear models
// (derived.linear: constant d2L/dr2, ridge penalty) go to the exact closed equations unless the Monte-Carlo
// solver is forced; everything else goes to the Monte-Carlo solver (src/solvers/mc).
import type { Derived, ObservableName, Result } from "../types.js";
import { UsageError } from "../util/errors.js";
import { checkedRecordSteps, type RecordSpec, recordMeta } from "../util/record.js";
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
  if (which === "online") return recorded(solveOnline(derived, { dt: rest.dt, T: rest.T }), rest.record);
  if (dynamics === "online") throw new Error("unreachable");
  if (which === "exact-linear") {
    const { dt, T, seed, kernels, extrapolate, batchFraction, persistence } = rest;
    return recorded(
      solveExactLinear(derived, {
        dynamics,
        dt,
        T,
        seed,
        kernels,
        extrapolate,
        batchFraction,
        persistence,
      }),
      rest.record,
    );
  }
  return solveMc(derived, { ...rest, dynamics });
}

/** A deterministic solver's result (every step written) reduced to the recorded steps. */
function recorded(full: Result, spec: RecordSpec = 1): Result {
  const steps = checkedRecordSteps("solve", full.t.length - 1, spec);
  if (steps.length === full.t.length) return full;
  const N1 = full.t.length;
  const pick = (xs: ArrayLike<number>, size = 1) =>
    steps.flatMap((k) => Array.from({ length: size }, (_, e) => xs[k * size + e]));
  const out: Result = {
    ...full,
    t: pick(full.t),
    observables: {},
    stderr: {},
    meta: { ...full.meta, record: recordMeta(spec) },
  };
  for (const [name, v] of Object.entries(full.observables))
    out.observables[name as ObservableName] = pick(v!);
  for (const [name, v] of Object.entries(full.stderr)) out.stderr[name as ObservableName] = pick(v!);
  if (full.kernels) {
    out.kernels = {};
    for (const [name, kern] of Object.entries(full.kernels)) {
      const twoTime = kern!.shape[1] === N1;
      const size = kern!.shape.slice(twoTime ? 2 : 1).reduce((a, b) => a * b, 1);
      const sel = twoTime ? steps.flatMap((t) => steps.map((s) => t * N1 + s)) : steps;
      const take = (xs: ArrayLike<number>) =>
        sel.flatMap((k) => Array.from({ length: size }, (_, e) => xs[k * size + e]));
      out.kernels[name as keyof typeof full.kernels] = {
        shape: [steps.length, ...(twoTime ? [steps.length] : []), ...kern!.shape.slice(twoTime ? 2 : 1)],
        data: take(kern!.data),
        ...(kern!.stderr ? { stderr: take(kern!.stderr) } : {}),
      };
    }
  }
  return out;
}
