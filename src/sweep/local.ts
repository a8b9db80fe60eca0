// The local executor of a sweep: its missing points as tasks of an Executor (default: worker threads, one
// point per thread, each solve single-threaded when the points fill the cores), each point stored as soon
// as it is solved.
import type { Executor } from "../util/executor.js";
import { defaultThreads, WorkerThreads } from "../util/workers.js";
import type { Planned, PointFailure } from "./plan.js";
import { progress } from "./progress.js";
import type { Store } from "./store.js";
import { POINT_TASKS } from "./thread.js";

export interface LocalOptions {
  /** Points solved at once (default: one per core). */
  jobs?: number;
  /** Threads of each point's solve (default: the cores shared among the running points). */
  threads?: number;
  /** Runs the points (default: `jobs` worker threads, stopped at the end). */
  executor?: Executor;
  quiet: boolean;
}

export async function runLocal(todo: Planned[], store: Store, opts: LocalOptions): Promise<PointFailure[]> {
  if (todo.length === 0) return [];
  const jobs = Math.min(opts.jobs ?? defaultThreads(), todo.length);
  const threads = opts.threads ?? Math.max(1, Math.floor(defaultThreads() / jobs));
  const executor = opts.executor ?? new WorkerThreads(jobs);
  const bar = progress("sweep", todo.length, opts.quiet);
  const failures: PointFailure[] = [];
  try {
    await executor.run(
      POINT_TASKS,
      todo.map((p) => ({ spec: p.spec, threads })),
      {
        threads: jobs,
        onResult: (i, outcome) => {
          const p = todo[i];
          if (outcome.ok) store.write({ params: p.params, key: p.key, result: outcome.result });
          else failures.push({ params: p.params, message: outcome.message, exitCode: outcome.exitCode });
          bar.tick(!outcome.ok);
        },
      },
    );
  } finally {
    bar.stop();
    if (!opts.executor) await executor.dispose();
  }
  return failures;
}
