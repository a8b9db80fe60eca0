// Worker-thread entry of the simulators: rebuilds the model functions (scalar and vector forms) from the
// generated sources (never from user text) and runs one seed.
import { rebuildFns, rebuildVectorFns } from "../symbolic/compile.js";
import type { Derived } from "../types.js";
import { serveTasks } from "../util/workers.js";
import { runSeed, type SeedFns, type SeedResult, type SeedTask } from "./seed.js";

export interface WorkerTask {
  task: SeedTask;
  sources: Derived["sources"];
}

/** Rebuilt functions per source set, so the cached test-observable rules are shared across seeds. */
const built = new Map<string, SeedFns>();

export async function run(w: WorkerTask): Promise<SeedResult> {
  const key = JSON.stringify([w.sources, w.task.k, w.task.kTeacher]);
  let sf = built.get(key);
  if (!sf) {
    const slots = new Float64Array(w.task.schedule?.n ?? 0);
    sf = {
      fns: rebuildFns(w.sources, slots),
      vec: rebuildVectorFns(w.sources, w.task.k, w.task.kTeacher, slots),
      slots,
    };
    built.set(key, sf);
  }
  return runSeed(sf, w.task);
}

serveTasks(import.meta.url, run);
