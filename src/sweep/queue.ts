// The distributed executor on a BullMQ queue in Redis. The sweep puts its missing points on the queue (job
// id = content key, so a point already queued or done is not added twice) and collects finished jobs into
// its store; `dmftkit worker` processes (any number, on any machine) solve them until SIGTERM/SIGINT.
// Delivery is at least once: a worker killed mid-job loses its lock and the job is handed to another worker
// after `lockMs`; solving a point twice gives the same result, so re-delivery is harmless.
import { Queue, Worker } from "bullmq";
import { Redis } from "ioredis";
import { RunError, UsageError } from "../util/errors.js";
import { defaultThreads, WorkerThreads } from "../util/workers.js";
import type { Planned, PointFailure } from "./plan.js";
import type { PointSpec } from "./point.js";
import { progress } from "./progress.js";
import type { Store } from "./store.js";
import { POINT_TASKS } from "./thread.js";

const QUEUE = "dmftkit-sweep";
const POLL_MS = 300;

interface RedisTarget {
  host: string;
  port: number;
  username?: string;
  password?: string;
  db?: number;
}

/** Parses redis://[user:password@]HOST[:PORT][/DB]. */
export function parseRedisUrl(text: string): RedisTarget {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new UsageError(`--queue expects redis://HOST:PORT, got '${text}'`);
  }
  const db = url.pathname.replace(/^\//, "");
  if (url.protocol !== "redis:" || !url.hostname || (db !== "" && !/^\d+$/.test(db)))
    throw new UsageError(`--queue expects redis://HOST:PORT, got '${text}'`);
  return {
    host: url.hostname.replace(/^\[|\]$/g, ""),
    port: url.port ? Number(url.port) : 6379,
    username: url.username ? decodeURIComponent(url.username) : undefined,
    password: url.password ? decodeURIComponent(url.password) : undefined,
    db: db ? Number(db) : undefined,
  };
}

/** Checks that Redis answers (a clear UsageError, exit 2, if not); returns BullMQ's connection options. */
async function connect(text: string) {
  const target = parseRedisUrl(text);
  const probe = new Redis({
    ...target,
    lazyConnect: true,
    connectTimeout: 3000,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    retryStrategy: () => null,
  });
  let first: Error | undefined;
  probe.on("error", (err: Error) => {
    first ??= err;
  });
  try {
    await probe.connect();
    await probe.ping();
  } catch (err) {
    throw new UsageError(`cannot reach Redis at ${text}: ${(first ?? (err as Error)).message}`);
  } finally {
    probe.disconnect();
  }
  return { ...target, maxRetriesPerRequest: null };
}

/** Queues the missing points and collects them into the store as workers finish them. */
export async function runOnQueue(
  url: string,
  todo: Planned[],
  store: Store,
  quiet: boolean,
): Promise<PointFailure[]> {
  if (todo.length === 0) return [];
  const queue = new Queue<PointSpec>(QUEUE, { connection: await connect(url) });
  const failures: PointFailure[] = [];
  const bar = progress("sweep", todo.length, quiet);
  try {
    await queue.addBulk(
      todo.map((p) => ({
        name: "point",
        data: p.spec,
        opts: { jobId: p.key, removeOnComplete: false, removeOnFail: false },
      })),
    );
    if (!quiet)
      process.stderr.write(
        `sweep: ${todo.length} points on ${url}; waiting for \`dmftkit worker --queue ${url}\`\n`,
      );
    const pending = new Map(todo.map((p) => [p.key, p]));
    while (pending.size > 0) {
      for (const state of ["completed", "failed"] as const) {
        for (const job of await queue.getJobs([state])) {
          const p = job?.id ? pending.get(job.id) : undefined;
          if (!p) continue;
          if (state === "completed") {
            store.write({ params: p.params, key: p.key, result: job.returnvalue });
            bar.tick();
          } else {
            failures.push({ params: p.params, message: job.failedReason, exitCode: 1 });
            bar.tick(true);
          }
          pending.delete(p.key);
          await job.remove();
        }
      }
      if (pending.size > 0) await new Promise((r) => setTimeout(r, POLL_MS));
    }
  } finally {
    bar.stop();
    await queue.close();
  }
  return failures;
}

export interface WorkerOptions {
  /** Points solved at once (default: one per core). */
  jobs?: number;
  /** Lock duration (ms): how soon a killed worker's job goes to another worker. */
  lockMs: number;
  quiet: boolean;
}

/** Takes and solves points until SIGTERM or SIGINT, then finishes its current jobs and returns. */
export async function runWorker(url: string, opts: WorkerOptions): Promise<void> {
  const connection = await connect(url);
  const jobs = opts.jobs ?? defaultThreads();
  const threads = Math.max(1, Math.floor(defaultThreads() / jobs));
  // The same point tasks as a local sweep's, on this worker's own threads (one per running point).
  const executor = new WorkerThreads(jobs);
  executor.prewarm(POINT_TASKS);
  const solvePoint = async (spec: PointSpec) => {
    const [outcome] = await executor.run(POINT_TASKS, [{ spec, threads }], { threads: 1 });
    if (!outcome.ok) throw new RunError(outcome.message);
    return outcome.result;
  };
  const log = (line: string) => {
    if (!opts.quiet) process.stderr.write(`worker: ${line}\n`);
  };
  const worker = new Worker<PointSpec>(QUEUE, (job) => solvePoint(job.data), {
    connection,
    concurrency: jobs,
    lockDuration: opts.lockMs,
    stalledInterval: Math.max(500, Math.round(opts.lockMs / 2)),
    maxStalledCount: 10,
  });
  const what = (params: Record<string, number | string>) =>
    Object.entries(params)
      .map(([k, v]) => `${k}=${v}`)
      .join(" ");
  worker.on("active", (job) => log(`solving ${job.id} (${what(job.data.sets)})`));
  worker.on("completed", (job) => log(`solved ${job.id} (${what(job.data.sets)})`));
  worker.on("failed", (job, err) => log(`failed ${job?.id}: ${err.message}`));
  worker.on("error", (err) => log(`error: ${err.message}`));
  log(`taking points from ${url} (${jobs} at a time); stop with Ctrl-C or SIGTERM`);
  await new Promise<void>((resolve) => {
    const stop = (signal: string) => {
      log(`${signal}: finishing the current points (send it again to quit at once)`);
      process.removeAllListeners("SIGINT");
      process.removeAllListeners("SIGTERM");
      worker.close().then(resolve, resolve);
    };
    process.once("SIGINT", () => stop("SIGINT"));
    process.once("SIGTERM", () => stop("SIGTERM"));
  });
  await executor.dispose();
  log("stopped");
}
