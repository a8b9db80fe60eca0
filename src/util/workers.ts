// The worker-thread executor (src/util/executor.ts): runs independent tasks on worker_threads, both cores
// by default. A worker module exports `run(task)` and calls `serveTasks(import.meta.url, run)` at top
// level. From TypeScript sources (vitest, tsx) the workers load through tsx; from dist/ as plain JS.
import { availableParallelism } from "node:os";
import { fileURLToPath } from "node:url";
import { isMainThread, parentPort, Worker, workerData } from "node:worker_threads";
import { RunError, UsageError } from "./errors.js";
import { type Executor, inProcess, type RunOptions, type TaskKind } from "./executor.js";

type TaskFn<T, R> = (task: T) => Promise<R> | R;

interface Request<T> {
  id: number;
  task: T;
}
interface Reply<R> {
  id: number;
  ok: boolean;
  value?: R;
  error?: { message: string; name: string; exitCode?: number };
}

/** Number of threads to use by default: one per core. */
export function defaultThreads(): number {
  return Math.max(1, availableParallelism());
}

/**
 * Starts a worker thread on the module at `url` (which alone serves tasks in it, see serveTasks).
 * TypeScript sources (tests, tsx) load through tsx's ESM loader registered inside the worker by a fixed
 * bootstrap; compiled JS loads directly.
 */
function startWorker(url: URL): Worker {
  const options = { workerData: { entry: url.href } };
  if (!url.pathname.endsWith(".ts")) return new Worker(fileURLToPath(url), options);
  const api = import.meta.resolve("tsx/esm/api");
  const boot = `import(${JSON.stringify(api)}).then((m) => { m.register(); return import(${JSON.stringify(url.href)}); });`;
  return new Worker(boot, { ...options, eval: true });
}

/**
 * Call at top level of a worker module with its own `import.meta.url`: serves tasks when this module is
 * the entry of the worker thread; a no-op on the main thread and when merely imported (a sweep point's
 * thread imports the solver's worker module to solve in-process).
 */
export function serveTasks<T, R>(moduleUrl: string, run: TaskFn<T, R>): void {
  if (isMainThread || !parentPort || (workerData as { entry?: string } | null)?.entry !== moduleUrl) return;
  const port = parentPort;
  port.on("message", async (msg: Request<T>) => {
    try {
      const value = await run(msg.task);
      port.postMessage({ id: msg.id, ok: true, value } satisfies Reply<R>);
    } catch (err) {
      const e = err instanceof Error ? err : new Error(String(err));
      const exitCode = (e as { exitCode?: number }).exitCode;
      port.postMessage({ id: msg.id, ok: false, error: { message: e.message, name: e.name, exitCode } });
    }
  });
}

/** The main-thread error for a task's failure: bad input (exit code 2) stays a UsageError. */
function rebuildError(error: NonNullable<Reply<unknown>["error"]>): Error {
  return error.exitCode === 2 ? new UsageError(error.message) : new RunError(error.message);
}

/**
 * Worker threads, kept idle per worker module between calls (a CLI run that solves several times, a
 * sweep, the benchmarks, the tests: starting a worker costs 0.1-0.6 s). Idle workers are unref'd, so they
 * never keep the process alive; after a failed call that call's workers are terminated. Concurrent calls
 * each take their own workers.
 */
export class WorkerThreads implements Executor {
  private idle = new Map<string, Worker[]>();
  private busy = new Set<Worker>();
  private disposed = false;

  /** `maxThreads`: the default number of threads of a call and the most idle workers kept per module. */
  constructor(readonly maxThreads = defaultThreads()) {}

  /**
   * Starts workers for `kind` into the idle pool (up to `threads` idle ones) without waiting for them, so
   * that their start-up overlaps with the caller's own (e.g. loading and deriving a model).
   */
  prewarm(kind: Pick<TaskKind<unknown, unknown>, "url">, threads = this.maxThreads): void {
    if (this.disposed) return;
    const missing = Math.max(0, threads - (this.idle.get(kind.url.href)?.length ?? 0));
    this.release(
      kind.url,
      Array.from({ length: missing }, () => startWorker(kind.url)),
    );
  }

  private take(url: URL): Worker {
    const w = this.idle.get(url.href)?.pop() ?? startWorker(url);
    w.ref();
    this.busy.add(w);
    return w;
  }

  private release(url: URL, workers: Worker[]): void {
    const pool = this.idle.get(url.href) ?? [];
    this.idle.set(url.href, pool);
    for (const w of workers) {
      this.busy.delete(w);
      w.removeAllListeners("message");
      w.removeAllListeners("error");
      w.removeAllListeners("exit");
      w.unref();
      if (pool.length < this.maxThreads && !this.disposed) {
        pool.push(w);
        // A pooled worker that fails or dies (it should not) is simply forgotten; a task never reaches it.
        w.on("error", () => {});
        w.once("exit", () => {
          const i = pool.indexOf(w);
          if (i >= 0) pool.splice(i, 1);
        });
      } else void w.terminate();
    }
  }

  /** Runs `tasks` on up to `opts.threads` (default maxThreads) workers of `kind`; results in task order. */
  async run<T, R>(kind: TaskKind<T, R>, tasks: T[], opts: RunOptions<R> = {}): Promise<R[]> {
    if (this.disposed) throw new RunError("the worker threads are stopped");
    const results = new Array<R>(tasks.length);
    if (tasks.length === 0) return results;
    const threads = Math.max(1, Math.min(opts.threads ?? this.maxThreads, tasks.length));
    const workers = Array.from({ length: threads }, () => this.take(kind.url));
    let next = 0;
    let done = 0;
    let failed = true;
    try {
      await Promise.all(
        workers.map(
          (worker) =>
            new Promise<void>((resolve, reject) => {
              const feed = () => {
                if (next >= tasks.length) return resolve();
                const id = next++;
                worker.postMessage({ id, task: tasks[id] } satisfies Request<T>);
              };
              worker.on("message", (reply: Reply<R>) => {
                if (!reply.ok) return reject(rebuildError(reply.error!));
                results[reply.id] = reply.value as R;
                opts.onResult?.(reply.id, reply.value as R);
                opts.onDone?.(++done, tasks.length);
                feed();
              });
              worker.on("error", reject);
              worker.on("exit", (code) => reject(new RunError(`worker thread exited with code ${code}`)));
              feed();
            }),
        ),
      );
      failed = false;
    } finally {
      if (failed) {
        for (const w of workers) this.busy.delete(w);
        await Promise.all(workers.map((w) => w.terminate()));
      } else this.release(kind.url, workers);
    }
    return results;
  }

  /** Terminates every worker, idle or busy (a running call then rejects). */
  async dispose(): Promise<void> {
    this.disposed = true;
    const all = [...this.busy, ...[...this.idle.values()].flat()];
    this.idle.clear();
    this.busy.clear();
    await Promise.all(all.map((w) => w.terminate()));
  }
}

let shared: WorkerThreads | undefined;

/** The process's shared WorkerThreads (created on first use; its idle workers never keep it alive). */
export function sharedThreads(): WorkerThreads {
  shared ??= new WorkerThreads();
  return shared;
}

/** The executor of a solve given none: in-process for one thread, else the shared worker threads. */
export function defaultExecutor(threads: number): Executor {
  return threads === 1 ? inProcess : sharedThreads();
}
