// Worker-thread entry of the Monte-Carlo solver: one task = one independent group solve and its series
// (train loss, overlaps), or a share of the test-observable quadratures at the groups' mean overlaps
// (combine.ts testAtMean, after the groups). The
// model functions are rebuilt from Derived.sources (generated code only; functions cannot cross threads).
// solveMc with one thread calls runGroup in-process, with the Derived's own functions.
import { takeKernelUsage } from "../../kernels/loader.js";
import { type JumpFn, rebuildFns, rebuildJumps, rebuildVectorFns } from "../../symbolic/compile.js";
import type { CompiledFns, Derived, VectorFns } from "../../types.js";
import { serveTasks } from "../../util/workers.js";
import { readStateAt, type StateSlot, writeStateAt } from "./checkpoint-file.js";
import {
  evaluatePoints,
  type GroupResult,
  groupSeries,
  type SeriesModel,
  type TestPoints,
} from "./combine.js";
import { type GroupSpec, type SchemeParams, solveGroup } from "./group.js";

/** What a task carries of the model (its functions are rebuilt from the sources in the worker). */
export interface TaskModel {
  sources: Derived["sources"];
  /** Units k and teacher units kTeacher of the model. */
  k: number;
  kTeacher: number;
  binaryLabels: boolean;
}

export interface GroupTask extends TaskModel {
  params: SchemeParams;
  spec: GroupSpec;
  /** solve --checkpoint: write the state before the last step here (checkpoint-file.ts). */
  saveTo?: StateSlot;
  /** solve --resume: continue from the state stored here. */
  resumeFrom?: StateSlot;
}

/** A share of combine.ts's test-observable quadratures. */
export interface PointsTask extends TaskModel {
  rhoStar: number;
  schedule?: SchemeParams["schedule"];
  points: TestPoints;
}

const cache = new Map<string, { fns: CompiledFns; vec: VectorFns; slots: Float64Array }>();

/** The compiled jumps of l (branching estimator only), bound to the model's schedule slots. */
function jumpsOf(model: SeriesModel, task: GroupTask): JumpFn | undefined {
  const src = task.params.response === "branch" ? task.sources.jumps : undefined;
  return src === undefined ? undefined : rebuildJumps(src, model.slots);
}

/** One group solve and its observables, with the model's functions (and their schedule slots) at hand. */
export function runGroup(model: SeriesModel, task: GroupTask): GroupResult {
  takeKernelUsage(); // from here on, this group's record
  // Checkpoint states go to and come from the file here, in the task (not through the main thread).
  const spec: GroupSpec = {
    ...task.spec,
    ...(task.saveTo ? { checkpoint: true } : {}),
    ...(task.resumeFrom ? { resume: readStateAt(task.resumeFrom) } : {}),
  };
  const out = solveGroup({ ...model, jumps: jumpsOf(model, task) }, task.params, spec);
  let stateSha256: string | undefined;
  if (task.saveTo) {
    stateSha256 = writeStateAt(task.saveTo, out.state!);
    delete out.state;
  }
  return {
    out,
    series: groupSeries(model, out),
    kernels: takeKernelUsage(),
    ...(stateSha256 ? { stateSha256 } : {}),
  };
}

export async function run(task: GroupTask): Promise<GroupResult>;
export async function run(task: PointsTask): Promise<Float64Array>;
export async function run(task: GroupTask | PointsTask): Promise<GroupResult | Float64Array> {
  const schedule = "points" in task ? task.schedule : task.params.schedule;
  const key = JSON.stringify([task.sources, task.k, task.kTeacher]);
  let built = cache.get(key);
  if (!built) {
    const slots = new Float64Array(schedule?.n ?? 0);
    built = {
      fns: rebuildFns(task.sources, slots),
      vec: rebuildVectorFns(task.sources, task.k, task.kTeacher, slots),
      slots,
    };
    cache.set(key, built);
  }
  const model = { ...built, binaryLabels: task.binaryLabels };
  if ("points" in task) return evaluatePoints(model, task.schedule, task.rhoStar, task.points);
  return runGroup(model, task);
}

serveTasks(import.meta.url, run);
