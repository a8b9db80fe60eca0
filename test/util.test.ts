import { describe, expect, it } from "vitest";
import { exitCodeOf, UsageError } from "../src/util/errors.js";
import { inProcess, type TaskKind } from "../src/util/executor.js";
import { Rng } from "../src/util/rng.js";
import { WorkerThreads } from "../src/util/workers.js";
import { run as runSquare } from "./fixtures/square-worker.js";

describe("Rng", () => {
  it("is reproducible per (seed, stream) and streams differ", () => {
    const a = new Rng(7, 3);
    const b = new Rng(7, 3);
    const c = new Rng(7, 4);
    const xa = Array.from({ length: 5 }, () => a.normal());
    expect(Array.from({ length: 5 }, () => b.normal())).toEqual(xa);
    expect(Array.from({ length: 5 }, () => c.normal())).not.toEqual(xa);
  });

  it("normal draws have mean 0, variance 1, kurtosis 3 and the right tail (within 4 SE)", () => {
    const r = new Rng(1, 0);
    const n = 400_000;
    let s1 = 0;
    let s2 = 0;
    let s4 = 0;
    let tail = 0;
    for (let i = 0; i < n; i++) {
      const x = r.normal();
      s1 += x;
      s2 += x * x;
      s4 += x ** 4;
      if (x > 2.5) tail++;
    }
    expect(Math.abs(s1 / n)).toBeLessThan(4 / Math.sqrt(n));
    expect(Math.abs(s2 / n - 1)).toBeLessThan(4 * Math.sqrt(2 / n));
    expect(Math.abs(s4 / n - 3)).toBeLessThan(4 * Math.sqrt(96 / n));
    const p = 0.006209665325776132; // P(Z > 2.5)
    expect(Math.abs(tail / n - p)).toBeLessThan(4 * Math.sqrt((p * (1 - p)) / n));
  });

  it("poisson has mean and variance lambda (small and large rates)", () => {
    const r = new Rng(2);
    for (const lam of [0.05, 4, 120]) {
      const n = 100_000;
      let s = 0;
      let s2 = 0;
      for (let i = 0; i < n; i++) {
        const k = r.poisson(lam);
        s += k;
        s2 += k * k;
      }
      const mean = s / n;
      expect(Math.abs(mean - lam)).toBeLessThan(4 * Math.sqrt(lam / n));
      expect(Math.abs(s2 / n - mean * mean - lam)).toBeLessThan(4 * Math.sqrt((2 * lam * lam + lam) / n));
    }
  });

  it("int(n) is uniform on [0, n)", () => {
    const r = new Rng(3);
    const counts = new Array(5).fill(0);
    const n = 50_000;
    for (let i = 0; i < n; i++) counts[r.int(5)]++;
    for (const c of counts) expect(Math.abs(c / n - 0.2)).toBeLessThan(4 * Math.sqrt(0.16 / n));
  });
});

describe("executors (worker threads, in-process)", () => {
  const square: TaskKind<number, number> = {
    name: "square",
    url: new URL("./fixtures/square-worker.ts", import.meta.url),
    runHere: runSquare,
  };

  it("give the same results on worker threads (1 and 2) and in-process, in task order", async () => {
    const threads = new WorkerThreads(2);
    try {
      const tasks = [1, 2, 3, 4, 5];
      const here = await inProcess.run(square, tasks);
      expect(here).toEqual([1, 4, 9, 16, 25]);
      expect(await threads.run(square, tasks, { threads: 1 })).toEqual(here);
      const seen: number[] = [];
      expect(await threads.run(square, tasks, { onResult: (i) => seen.push(i) })).toEqual(here);
      expect(seen.sort()).toEqual([0, 1, 2, 3, 4]);
    } finally {
      await threads.dispose();
    }
  });

  it("turn a task's error into a rejected promise; bad input stays a UsageError (exit 2)", async () => {
    const threads = new WorkerThreads(2);
    try {
      for (const ex of [inProcess, threads]) {
        await expect(ex.run(square, [1, -1])).rejects.toThrow(/negative/);
        const err = await ex.run(square, [1, Number.NaN]).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(UsageError);
        expect(exitCodeOf(err)).toBe(2);
        const run = await ex.run(square, [1, -1]).catch((e: unknown) => e);
        expect(exitCodeOf(run)).toBe(1);
      }
    } finally {
      await threads.dispose();
    }
  });

  it("reuse their worker threads across calls, replace them after a failure, refuse after dispose", async () => {
    const threads = new WorkerThreads(2);
    const ids = async () => new Set(await threads.run(square, [0.5, 0.5]));
    const first = await ids();
    expect(first.size).toBe(2);
    expect(await ids()).toEqual(first);
    await expect(threads.run(square, [1, -1])).rejects.toThrow(/negative/);
    const after = await ids();
    expect(after.size).toBe(2);
    for (const id of after) expect(first.has(id)).toBe(false);
    expect(await threads.run(square, [2, 3])).toEqual([4, 9]);
    await threads.dispose();
    await expect(threads.run(square, [2])).rejects.toThrow(/stopped/);
  });
});
