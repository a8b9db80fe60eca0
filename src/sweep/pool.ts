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
  private closed = false;

  constructor(size: number) {
    for (let i = 0; i < size; i++) this.idle.push(this.spawn());
  }

  private spawn(): Thread {
    const worker = startWorker(MODULE);
    const { port1, port2 } = new MessageChannel();
    worker.postMessage({ port: port2 }, [port2]);
    const t = { worker, port: port1 };
    this.all.add(t);
    // A thread that fails while idle is dropped and replaced (a busy one fails its point, see dispatch).
    worker.on("error", () => {});
    worker.once("exit", () => {
      this.all.delete(t);
      t.port.close();
      const i = this.idle.indexOf(t);
      if (i >= 0) {
        this.idle.splice(i, 1);
        this.replace();
      }
    });
    return t;
  }

  private replace(): void {
    if (this.closed) return;
    this.idle.push(this.spawn());
    this.pump();
  }

  /** Solves one point on the next free thread. */
  run(task: PointTask): Promise<Result> {
    if (this.closed) return Promise.reject(new RunError("the solver threads are stopped"));
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
    const onReply = (reply: PointReply) => {
      w.off("error", onError);
      w.off("exit", onExit);
      this.idle.push(t);
      this.pump();
      if (reply.ok) job.resolve(reply.value!);
      else {
        const e = new RunError(reply.error!.message);
        if (reply.error!.exitCode === 2) Object.assign(e, { exitCode: 2 });
        job.reject(e);
      }
    };
    const onError = (err: unknown) => {
      w.off("exit", onExit);
      t.port.off("message", onReply);
      void w.terminate();
      job.reject(err instanceof Error ? err : new RunError(String(err)));
      this.replace();
    };
    const onExit = (code: number) => onError(new RunError(`solver thread exited with code ${code}`));
    t.port.once("message", onReply);
    w.once("error", onError);
    w.once("exit", onExit);
    t.port.postMessage(job.task);
  }

  /** Stops every thread; points in progress or waiting are abandoned (their promises reject). */
  async close(): Promise<void> {
    this.closed = true;
    const threads = [...this.all];
    this.all.clear();
    this.idle = [];
    for (const p of this.queue.splice(0)) p.reject(new RunError("the solver threads are stopped"));
    await Promise.all(threads.map((t) => t.worker.terminate()));
  }
}
