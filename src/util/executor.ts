// The executor seam: how a solver's independent tasks (Monte-Carlo groups, simulation seeds, sweep points)
// are run. solveMc, simulate and the sweep take an Executor; results never depend on which one runs them,
// because every task is self-contained (own seed streams). Implementations: worker threads
// (src/util/workers.ts, the default), in-process (here) and the browser's Web Workers (src/platform/web-workers.ts).

/** One kind of task, runnable in this thread or in a worker loaded from the same code. */
export interface TaskKind<T, R> {
  /** Its key in a browser task bundle (src/platform/web-tasks.ts). */
  name: string;
  /** The Node worker module that serves it (calls `serveTasks(import.meta.url, run)`). */
  url: URL;
  /** Runs one task in the calling thread (may use objects that cannot cross threads, e.g. compiled functions). */
  runHere(task: T): R | Promise<R>;
}

export interface RunOptions<R> {
  /** At most this many tasks at once (the executor may run fewer). */
  threads?: number;
  /** After each finished task: tasks done so far and the total. */
  onDone?: (done: number, total: number) => void;
  /** Each task's result as soon as it is there (index into `tasks`). */
  onResult?: (index: number, value: R) => void;
}

export interface Executor {
  /** Runs `tasks`; results come back in task order. The first failing task rejects the call. */
  run<T, R>(kind: TaskKind<T, R>, tasks: T[], opts?: RunOptions<R>): Promise<R[]>;
  /** Releases what the executor holds (threads, Web Workers); it must not be used afterwards. */
  dispose(): Promise<void>;
}

/** Runs the tasks one after the other in the calling thread (threads = 1; the browser without workers). */
export const inProcess: Executor = {
  async run<T, R>(kind: TaskKind<T, R>, tasks: T[], opts: RunOptions<R> = {}): Promise<R[]> {
    const results: R[] = [];
    for (let i = 0; i < tasks.length; i++) {
      results.push(await kind.runHere(tasks[i]));
      opts.onResult?.(i, results[i]);
      opts.onDone?.(i + 1, tasks.length);
      // Let timers run between tasks (a task blocks the thread): the progress lines of a run without a
      // terminal come from a timer.
      await new Promise((resolve) => setTimeout(resolve, 0));
    }
    return results;
  },
  async dispose() {},
};
