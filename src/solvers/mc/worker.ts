// Worker-thread entry of the Monte-Carlo solver: one task = one independent group solve. The model
// functions are rebuilt from Derived.sources (generated code only; functions cannot cross threads).
import { rebuildFns, rebuildVectorFns } from "../../symbolic/compile.js";
import type { CompiledFns, Derived, VectorFns } from "../../types.js";
import { serveTasks } from "../../util/workers.js";
import { type GroupOut, type GroupSpec, type SchemeParams, solveGroup } from "./group.js";

export interface GroupTask {
  sources: Derived["sources"];
  /** Units k and teacher units kTeacher of the model. */
  k: number;
  kTeacher: number;
  params: SchemeParams;
  spec: GroupSpec;
}

const cache = new Map<string, { fns: CompiledFns; vec: VectorFns }>();

export async function run(task: GroupTask): Promise<GroupOut> {
  const key = JSON.stringify([task.sources, task.k, task.kTeacher]);
  let built = cache.get(key);
  if (!built) {
    built = { fns: rebuildFns(task.sources), vec: rebuildVectorFns(task.sources, task.k, task.kTeacher) };
    cache.set(key, built);
  }
  return solveGroup(built.fns, built.vec, task.params, task.spec);
}

serveTasks(run);
