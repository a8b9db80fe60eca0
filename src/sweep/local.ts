// The local executor: the sweep's missing points on a pool of worker threads (one point per thread, each
// solve single-threaded when the points fill the cores), each point stored as soon as it is solved.
import { defaultThreads } from "../util/workers.js";
import type { Planned, PointFailure } from "./plan.js";
import { PointPool } from "./pool.js";
import { progress } from "./progress.js";
import type { Store } from "./store.js";

export interface LocalOptions {
  /** Points solved at once (default: one per core). */
  jobs?: number;
  /** Threads of each point's solve (default: the cores shared among the running points). */
  threads?: number;
  quiet: boolean;
}

export async function runLocal(todo: Planned[], store: Store, opts: LocalOptions): Promise<PointFailure[]> {
  if (todo.length === 0) return [];
  const jobs = Math.min(opts.jobs ?? defaultThreads(), todo.length);
  const threads = opts.threads ?? Math.max(1, Math.floor(defaultThreads() / jobs));
  const pool = new PointPool(jobs);
  const bar = progress("sweep", todo.length, opts.quiet);
  const failures: PointFailure[] = [];
  try {
    await Promise.all(
      todo.map((p) =>
        pool.run({ spec: p.spec, threads }).then(
          (result) => {
            store.write({ params: p.params, key: p.key, result });
            bar.tick();
          },
          (err: Error & { exitCode?: number }) => {
            failures.push({ params: p.params, message: err.message, exitCode: err.exitCode ?? 1 });
            bar.tick(true);
          },
        ),
      ),
    );
  } finally {
    bar.stop();
    await pool.close();
  }
  return failures;
}
