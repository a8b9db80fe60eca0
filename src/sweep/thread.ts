// The sweep's point solves as executor tasks (src/util/executor.ts): one task solves one point, in a worker
// thread of the local executor or of `dmftkit worker`, so that a point's solve never blocks the main
// thread (progress, Redis lock renewal). A point's failure is its outcome, not the call's: the other
// points of the sweep go on.
import type { Result } from "../types.js";
import type { TaskKind } from "../util/executor.js";
import { serveTasks } from "../util/workers.js";
import { type PointSpec, solvePoint } from "./point.js";

export interface PointTask {
  spec: PointSpec;
  /** Threads of the point's own solve (1 when points fill the cores). */
  threads: number;
}

export type PointOutcome = { ok: true; result: Result } | { ok: false; message: string; exitCode: number };

export async function run(task: PointTask): Promise<PointOutcome> {
  try {
    return { ok: true, result: await solvePoint(task.spec, task.threads) };
  } catch (err) {
    const e = err instanceof Error ? err : new Error(String(err));
    return { ok: false, message: e.message, exitCode: (e as { exitCode?: number }).exitCode ?? 1 };
  }
}

export const POINT_TASKS: TaskKind<PointTask, PointOutcome> = {
  name: "sweep-point",
  url: new URL(import.meta.url),
  runHere: run,
};

serveTasks(import.meta.url, run);
