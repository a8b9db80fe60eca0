// Worker-thread module of the sweep executors: solves one point per task (see pool.ts). Tasks and replies
// travel on a private MessagePort sent as the first message: the solver's own worker module, loaded into
// this thread by a single-threaded solve, listens on parentPort (util/workers.ts serveTasks).
import { type MessagePort, parentPort } from "node:worker_threads";
import type { Result } from "../types.js";
import { type PointSpec, solvePoint } from "./point.js";

export interface PointTask {
  spec: PointSpec;
  /** Threads of the point's own solve (1 when points fill the cores). */
  threads: number;
}

export interface PointReply {
  ok: boolean;
  value?: Result;
  error?: { message: string; exitCode?: number };
}

parentPort?.once("message", ({ port }: { port: MessagePort }) => {
  port.on("message", async (task: PointTask) => {
    try {
      port.postMessage({ ok: true, value: await solvePoint(task.spec, task.threads) } satisfies PointReply);
    } catch (err) {
      const e = err instanceof Error ? err : new Error(String(err));
      const exitCode = (e as { exitCode?: number }).exitCode;
      port.postMessage({ ok: false, error: { message: e.message, exitCode } } satisfies PointReply);
    }
  });
});
