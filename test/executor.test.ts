// The executor seam (src/util/executor.ts): a solve and a simulation give the same JSON (except
// meta.timings) whether their tasks run in-process or on worker threads.
import { afterAll, describe, expect, it } from "vitest";
import { simulate } from "../src/simulate/index.js";
import { solve } from "../src/solvers/index.js";
import { loadDerived } from "../src/symbolic/index.js";
import type { Result } from "../src/types.js";
import { type Executor, inProcess } from "../src/util/executor.js";
import { WorkerThreads } from "../src/util/workers.js";

const workers = new WorkerThreads(2);
afterAll(() => workers.dispose());
/** The worker threads, recording which kinds of task they were given. */
const kinds: string[] = [];
const threads: Executor = {
  run: (kind, tasks, opts) => {
    kinds.push(kind.name);
    return workers.run(kind, tasks, opts);
  },
  dispose: () => workers.dispose(),
};

/** The JSON a run writes, without its wall-clock timings. */
function json(r: Result): string {
  const { timings: _, ...meta } = r.meta;
  return JSON.stringify({ ...r, meta });
}

describe("executors", () => {
  // A scheduled model: the in-process tasks use the Derived's own functions and schedule slots, the worker
  // threads rebuild them from the generated sources.
  const derived = loadDerived("models/logistic-lr-drop.yaml", {});

  it("a Monte-Carlo solve gives the same JSON in-process and on worker threads", async () => {
    const opts = {
      dynamics: "sgf" as const,
      T: 2,
      samples: 1200,
      groups: 4,
      seed: 5,
      threads: 2,
      kernels: true,
    };
    const here = await solve(derived, { ...opts, executor: inProcess });
    const there = await solve(derived, { ...opts, executor: threads });
    expect(here.meta.solver).toBe("mc");
    expect(json(there)).toBe(json(here));
    const other = await solve(derived, { ...opts, seed: 6, executor: threads });
    expect(json(other)).not.toBe(json(here));
    // Per solve on threads: the group solves, then the shares of the test-observable quadratures.
    expect(kinds).toEqual(["mc-group", "mc-group", "mc-group", "mc-group"]);
  });

  it("a simulation gives the same JSON in-process and on worker threads", async () => {
    const opts = {
      d: 200,
      seeds: 3,
      dynamics: "sgd" as const,
      batch: 4,
      T: 2,
      seed: 3,
      threads: 2,
      twoTime: true,
    };
    const here = await simulate(derived, { ...opts, executor: inProcess });
    const there = await simulate(derived, { ...opts, executor: threads });
    expect(kinds.at(-1)).toBe("sim-seed");
    expect(json(there)).toBe(json(here));
  });
});
