// Feasibility of a validation (issue 15): every stage's time and memory estimated after derive and before
// the first solve, from the same plans the stages use (planMc, planSimulate), so that a run that cannot
// finish is refused (UsageError, exit 2) with its numbers instead of failing after minutes of work.
import { planSimulate, type SimulateOptions } from "../simulate/index.js";
import { chooseSolver, type SolveOptions } from "../solvers/index.js";
import { planMc } from "../solvers/mc/index.js";
import type { Derived } from "../types.js";
import { checkFeasible, type StageEstimate } from "../util/feasibility.js";
import { type SimulatedDynamics, type StageName, stageLabel } from "./settings.js";

/** A stage's options: a DMFT solve or a simulation. */
export type PlannedStage =
  | { name: StageName; kind: "solve"; opts: SolveOptions }
  | { name: StageName; kind: "simulate"; opts: SimulateOptions };

export function estimateStage(derived: Derived, st: PlannedStage, law: SimulatedDynamics): StageEstimate {
  const label = stageLabel(st.name, law);
  if (st.kind === "simulate") {
    const p = planSimulate(derived, st.opts);
    const detail = `d = ${p.d}, ${p.seeds} seeds, ${p.steps} steps`;
    return { label, seconds: p.seconds, bytes: p.bytes, detail };
  }
  if (chooseSolver(derived, st.opts.dynamics) !== "mc") {
    return { label, seconds: 0, bytes: 0, detail: "deterministic solver" };
  }
  const p = planMc(derived, st.opts);
  const N = p.levels[p.levels.length - 1].N;
  const detail = `${N} steps x ${p.sizes.reduce((a, b) => a + b, 0)} samples, ${p.multiplyAdds.toPrecision(2)} multiply-adds on ${p.threads} threads`;
  return { label, seconds: p.seconds, bytes: p.bytes, detail };
}

/** Estimates every stage (refusing bad sizes and memory up front) and refuses a run over maxMinutes. */
export function checkValidateFeasible(
  derived: Derived,
  stages: PlannedStage[],
  law: SimulatedDynamics,
  maxMinutes?: number,
): StageEstimate[] {
  const estimates = stages.map((st) => estimateStage(derived, st, law));
  checkFeasible("validate", estimates, maxMinutes, ", --d, --seeds, or record fewer steps (--record)");
  return estimates;
}
