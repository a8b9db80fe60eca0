// Runs independent tasks on worker_threads (both cores by default). A worker module exports
// `run(task)` and calls `serveTasks(run)` at top level. From TypeScript sources (vitest, tsx) the
// workers load through tsx; from dist/ they load as plain JS. threads: 1 runs in-process.
import { availableParallelism } from "node:os";
import { fileURLToPath } from "node:url";
import { isMainThread, parentPort, Worker } from "node:worker_threads";
import { RunError, UsageError } from "./errors.js";

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
 * Starts a worker thread on the module at `url`. TypeScript sources (tests, tsx) are loaded through
 * tsx's ESM loader registered inside the worker by a fixed bootstrap; compiled JS loads directly.
 */
export function startWorker(url: URL): Worker {
  if (!url.pathname.endsWith(".ts")) return new Worker(fileURLToPath(url));
  const api = import.meta.resolve("tsx/esm/api");
  const boot = `import(${JSON.stringify(api)}).then((m) => { m.register(); return import(${JSON.stringify(url.href)}); });`;
  return new Worker(boot, { eval: true });
}

/** Call at top level of a worker module; no-op on the main thread. */
export function serveTasks<T, R>(run: TaskFn<T, R>): void {
  if (isMainThread || !parentPort) return;
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
 * Idle workers per worker module, kept for the next mapInWorkers call in this process (a CLI run that
 * solves several times, the benchmarks, the tests): starting a worker costs 0.1-0.6 s. Idle workers are
 * unref'd, so they never keep the process alive.
 */
const idle = new Map<string, Worker[]>();

/**
 * Starts workers on `url` into the idle pool (up to `threads` idle ones) without waiting for them, so that
 * their start-up overlaps with the caller's own (e.g. loading and deriving a model).
 */
export function prewarmWorkers(url: URL, threads = defaultThreads()): void {
  if (threads < 2) return;
  const missing = Math.max(0, threads - (idle.get(url.href)?.length ?? 0));
  const fresh = Array.from({ length: missing }, () => startWorker(url));
  releaseWorkers(url, fresh);
}

function takeWorker(url: URL): Worker {
  const w = idle.get(url.href)?.pop() ?? startWorker(url);
  w.ref();
  return w;
}

function releaseWorkers(url: URL, workers: Worker[]): void {
  const pool = idle.get(url.href) ?? [];
  idle.set(url.href, pool);
  for (const w of workers) {
    w.removeAllListeners("message");
    w.removeAllListeners("error");
    w.removeAllListeners("exit");
    w.unref();
    if (pool.length < defaultThreads()) {
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

/**
 * Runs `tasks` on up to `threads` workers loaded from `workerUrl`; results come back in task order.
 * Results never depend on the thread count as long as each task is self-contained (own seed stream).
 * Workers are reused across calls (see `idle`); after a failure the call's workers are terminated.
 */
export async function mapInWorkers<T, R>(
  workerUrl: URL,
  tasks: T[],
  opts: { threads?: number; onDone?: (done: number, total: number) => void } = {},
): Promise<R[]> {
  const threads = Math.max(1, Math.min(opts.threads ?? defaultThreads(), tasks.length));
  const results = new Array<R>(tasks.length);
  let done = 0;
  if (threads === 1) {
    const mod = (await import(workerUrl.href)) as { run: TaskFn<T, R> };
    for (let i = 0; i < tasks.length; i++) {
      results[i] = await mod.run(tasks[i]);
      opts.onDone?.(++done, tasks.length);
    }
    return results;
  }
  const workers = Array.from({ length: threads }, () => takeWorker(workerUrl));
  let next = 0;
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
    if (failed) await Promise.all(workers.map((w) => w.terminate()));
    else releaseWorkers(workerUrl, workers);
  }
  return results;
}
