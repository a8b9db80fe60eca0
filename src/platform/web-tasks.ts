// The browser's task worker (bundled as tasks.js by web/build.mjs): a Web Worker that runs the executor
// tasks the Node worker threads run (Monte-Carlo groups, simulation seeds), from the same modules, so
// results equal an in-process run. Protocol: see src/platform/web-workers.ts.
import { run as runSeed } from "../simulate/worker.js";
import { run as runGroup } from "../solvers/mc/worker.js";
import type { TaskReply, TaskRequest } from "./web-workers.js";

const kinds: Record<string, (task: never) => unknown> = { "mc-group": runGroup, "sim-seed": runSeed };

const scope = self as unknown as {
  postMessage(msg: TaskReply): void;
  onmessage: ((e: MessageEvent<TaskRequest>) => void) | null;
};

scope.onmessage = async (e) => {
  const { id, name, task } = e.data;
  try {
    const run = kinds[name];
    if (!run) throw new Error(`no task kind '${name}' in this worker`);
    scope.postMessage({ id, ok: true, value: await run(task as never) });
  } catch (err) {
    const error = err instanceof Error ? err : new Error(String(err));
    const exitCode = (error as { exitCode?: number }).exitCode;
    scope.postMessage({ id, ok: false, error: { message: error.message, exitCode } });
  }
};
