// The browser's executor (src/util/executor.ts): tasks on a few Web Workers running the task bundle
// (src/platform/web-tasks.ts, built as tasks.js next to the solver's worker). The workers start on first
// use (or `start()`) and stay for the next solve; after a failure they are replaced. Results come back in task order
// and equal an in-process run (each task is self-contained, with its own seed streams).
import { RunError, UsageError } from "../util/errors.js";
import type { Executor, RunOptions, TaskKind } from "../util/executor.js";

export interface TaskRequest {
  id: number;
  name: string;
  task: unknown;
}
export interface TaskReply {
  id: number;
  ok: boolean;
  value?: unknown;
  error?: { message: string; exitCode?: number };
}

export class WebWorkers implements Executor {
  private workers: Worker[] = [];

  /** `script`: the task bundle's URL; `size`: workers (tasks at once). */
  constructor(
    private readonly script: URL,
    readonly size: number,
  ) {}

  /** Starts the workers now (they load their bundle while the caller does other work). */
  start(n = this.size): this {
    while (this.workers.length < n) this.workers.push(new Worker(this.script, { type: "module" }));
    return this;
  }

  async run<T, R>(kind: TaskKind<T, R>, tasks: T[], opts: RunOptions<R> = {}): Promise<R[]> {
    const results = new Array<R>(tasks.length);
    const n = Math.max(1, Math.min(opts.threads ?? this.size, this.size, tasks.length));
    this.start(n);
    let next = 0;
    let done = 0;
    try {
      await Promise.all(
        this.workers.slice(0, n).map(
          (worker) =>
            new Promise<void>((resolve, reject) => {
              const feed = () => {
                if (next >= tasks.length) return resolve();
                const id = next++;
                worker.postMessage({ id, name: kind.name, task: tasks[id] } satisfies TaskRequest);
              };
              worker.onmessage = (e: MessageEvent<TaskReply>) => {
                const reply = e.data;
                if (!reply.ok) {
                  const { message, exitCode } = reply.error!;
                  return reject(exitCode === 2 ? new UsageError(message) : new RunError(message));
                }
                results[reply.id] = reply.value as R;
                opts.onResult?.(reply.id, reply.value as R);
                opts.onDone?.(++done, tasks.length);
                feed();
              };
              worker.onerror = (e) => reject(new RunError(`task worker failed: ${e.message}`));
              feed();
            }),
        ),
      );
    } catch (err) {
      await this.dispose();
      throw err;
    }
    return results;
  }

  async dispose(): Promise<void> {
    for (const w of this.workers.splice(0)) w.terminate();
  }
}
