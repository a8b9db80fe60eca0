// Worker-thread entry of the Monte-Carlo solver: one task = one independent group solve. The model
// functions are rebuilt from Derived.sources (generated code only; functions cannot cross threads).
import { rebuildFns } from "../../symbolic/compile.js";
import type { FnName } from "../../types.js";
import { serveTasks } from "../../util/workers.js";
import { type GroupOut, type GroupSpec, type SchemeParams, solveGroup } from "./group.js";

export interface GroupTask {
  sources: Record<FnName, string>;
  params: SchemeParams;
  spec: GroupSpec;
}

const cache = new Map<string, ReturnType<typeof rebuildFns>>();

export async function run(task: GroupTask): Promise<GroupOut> {
  const key = JSON.stringify(task.sources);
  let fns = cache.get(key);
  if (!fns) {
    fns = rebuildFns(task.sources);
    cache.set(key, fns);
  }
  return solveGroup(fns, task.params, task.spec);
}

serveTasks(run);
