// A fixed set of long-lived worker threads that solve one point each at a time (the module thread.ts):
// used by the local executor and by `dmftkit worker`, so that a point's solve never blocks the main
// thread (progress, Redis lock renewal) and start-up (module loading, compilation) is paid once per thread.
import { MessageChannel, type MessagePort, type Worker } from "node:worker_threads";
import type { Result } from "../types.js";
import { RunError } from "../util/errors.js";
import { startWorker } from "../util/workers.js";
import type { PointReply, PointTask } from "./thread.js";

const MODULE = new URL(`./thread.${import.meta.url.endsWith(".ts") ? "ts" : "js"}`, import.meta.url);

interface Pending {
  task: PointTask;
  resolve: (r: Result) => void;
  reject: (e: Error) => void;
}

interface Thread {
  worker: Worker;
  port: MessagePort;
}

export class PointPool {
  private idle: Thread[] = [];
  private queue: Pending[] = [];
  private all = new Set<Thread>();

  constructor(size: number) {
    for (let i = 0; i < size; i++) this.idle.push(this.spawn());
  }

  private spawn(): Thread {
    const worker = startWorker(MODULE);
    const { port1, port2 } = new MessageChannel();
    worker.postMessage({ port: port2 }, [port2]);
    const t = { worker, port: port1 };
    this.all.add(t);
    return t;
  }

  /** Solves one point on the next free thread. */
  run(task: PointTask): Promise<Result> {
    return new Promise((resolve, reject) => {
      this.queue.push({ task, resolve, reject });
      this.pump();
    });
  }

  private pump(): void {
    while (this.idle.length > 0 && this.queue.length > 0)
      this.dispatch(this.idle.pop()!, this.queue.shift()!);
  }

  private dispatch(t: Thread, job: Pending): void {
    const w = t.worker;
    const done = (replace: boolean) => {
      t.port.removeAllListeners("message");
      w.removeAllListeners("error");
      w.removeAllListeners("exit");
      if (replace) {
        this.all.delete(t);
        t.port.close();
        void w.terminate();
        this.idle.push(this.spawn());
      } else this.idle.push(t);
      this.pump();
    };
    t.port.once("message", (reply: PointReply) => {
      done(false);
      if (reply.ok) job.resolve(reply.value!);
      else {
        const e = new RunError(reply.error!.message);
        if (reply.error!.exitCode === 2) Object.assign(e, { exitCode: 2 });
        job.reject(e);
      }
    });
    w.once("error", (err) => {
      done(true);
      job.reject(err instanceof Error ? err : new RunError(String(err)));
    });
    w.once("exit", (code) => {
      done(true);
      job.reject(new RunError(`solver thread exited with code ${code}`));
    });
    t.port.postMessage(job.task);
  }

  /** Stops every thread (a point in progress is abandoned). */
  async close(): Promise<void> {
    const threads = [...this.all];
    this.all.clear();
    this.idle = [];
    for (const t of threads) t.port.close();
    await Promise.all(threads.map((t) => t.worker.terminate()));
  }
}
