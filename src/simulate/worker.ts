// Worker-thread entry of the simulators: rebuilds the model functions from the generated sources
// (never from user text) and runs one seed.
import { rebuildFns } from "../symbolic/compile.js";
import type { CompiledFns, FnName } from "../types.js";
import { serveTasks } from "../util/workers.js";
import { runSeed, type SeedResult, type SeedTask } from "./seed.js";

export interface WorkerTask {
  task: SeedTask;
  sources: Record<FnName, string>;
}

/** Rebuilt functions per source set, so the cached test-observable rules are shared across seeds. */
const built = new Map<string, CompiledFns>();

export async function run(w: WorkerTask): Promise<SeedResult> {
  const key = JSON.stringify(w.sources);
  let fns = built.get(key);
  if (!fns) {
    fns = rebuildFns(w.sources);
    built.set(key, fns);
  }
  return runSeed(fns, w.task);
}

serveTasks(run);
