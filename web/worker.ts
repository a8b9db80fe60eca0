// The playground's solver Web Worker: the CLI's own pipeline (parseModel -> derive -> DMFT system -> solve ->
// simulate -> report plots). The Monte-Carlo groups and simulation seeds run on 2 task Web Workers when the
// browser has 2 cores (src/platform/web-workers.ts), else in-process here; results never depend on the
// executor or the thread count, so the JSON equals `dmftkit solve` at the same seed and samples. The exact solver (linear models)
// answers at once; the Monte-Carlo solve is refined from a small population up to M; the simulation comes last. Plots are
// rendered here as SVG by src/report/plots.ts (the report's code) and shipped to the page as strings.
import { buildDmftSystem } from "../src/dmft/index.js";
import { renderSections } from "../src/latex/html.js";
import { renderTex } from "../src/latex/tex.js";
import { parseModel } from "../src/model/load.js";
import { WebWorkers } from "../src/platform/web-workers.js";
import { observablePlot } from "../src/report/plots.js";
import { observableInfo, seriesOf } from "../src/report/series.js";
import { simulate } from "../src/simulate/index.js";
import { chooseSolver, solve } from "../src/solvers/index.js";
import { planMc } from "../src/solvers/mc/index.js";
import { derive } from "../src/symbolic/index.js";
import type { Derived, Result } from "../src/types.js";
import { UsageError } from "../src/util/errors.js";
import { type Executor, inProcess } from "../src/util/executor.js";
import { observableOrder } from "../src/validate/compare.js";
import type { RunKey, Verdict } from "../src/validate/index.js";
import type { Job, Legend, Reply } from "./protocol.js";
import { SIM } from "./state.js";

const ctx = self as unknown as {
  postMessage(msg: Reply): void;
  onmessage: ((e: MessageEvent<Job>) => void) | null;
};
const post = (msg: Reply) => ctx.postMessage(msg);

/** Generated model code is compiled with `Function`; a Content-Security-Policy without 'unsafe-eval' forbids it. */
function evalAllowed(): boolean {
  try {
    return new Function("return 1")() === 1;
  } catch {
    return false;
  }
}
const EVAL_MESSAGE =
  "This page's Content-Security-Policy forbids compiling code ('unsafe-eval' is not allowed), and the solver " +
  "compiles the model's functions from code generated from the checked expression tree (never from your " +
  "text). Serve the page with `dmftkit playground` or allow 'unsafe-eval' (and 'wasm-unsafe-eval'), or use the CLI.";

/** A refinement stage: population size and sample groups (the final one is the CLI's default, 8 groups). */
interface Stage {
  samples: number;
  groups: number;
}

/** Where a job's tasks run. */
interface Tasks {
  executor: Executor;
  threads: number;
}

/** Started at once, so that they load while the first model is derived. */
const webWorkers =
  typeof Worker !== "undefined" && (navigator.hardwareConcurrency ?? 1) >= 2
    ? new WebWorkers(new URL("./tasks.js", import.meta.url), 2).start()
    : undefined;

/** 2 task Web Workers when the page has 2 cores or more (and a worker can start workers), else in-process. */
function tasksFor(job: Job): Tasks {
  if (job.cores < 2 || !webWorkers) return { executor: inProcess, threads: 1 };
  return { executor: webWorkers, threads: 2 };
}

/** One solve (no onProgress: the page shows stages, not groups). */
function solveAt(derived: Derived, job: Job, stage: Stage, tasks: Tasks): Promise<Result> {
  return solve(derived, { dynamics: "sgf", seed: job.seed, ...stage, ...tasks });
}

/**
 * The refinement: M/16, M/8, M/4, M/2 with 8 groups, or 4 where 8 would leave too few samples per group for
 * the time grid (a rougher standard error, but an earlier first curve), keeping those the solver accepts;
 * then M with 8 groups, the solve whose JSON is offered.
 */
function stages(derived: Derived, job: Job): Stage[] {
  const out: Stage[] = [];
  for (const f of [16, 8, 4, 2]) {
    const samples = Math.floor(job.samples / f);
    const groups = [8, 4].find((g) => {
      try {
        planMc(derived, { dynamics: "sgf", seed: job.seed, samples, groups: g, threads: 1 });
        return true;
      } catch {
        return false; // too few samples per group for this grid
      }
    });
    if (groups !== undefined) out.push({ samples, groups });
  }
  out.push({ samples: job.samples, groups: 8 });
  return out;
}

function resultCsv(r: Result): string {
  const names = observableOrder(r);
  const lines = [["t", ...names.flatMap((n) => [n, `${n}_se`])].join(",")];
  r.t.forEach((t, k) => {
    lines.push([t, ...names.flatMap((n) => [r.observables[n]![k], r.stderr[n]?.[k] ?? ""])].join(","));
  });
  return `${lines.join("\n")}\n`;
}

function runJob(job: Job): Promise<void> | void {
  const started = performance.now();
  const ms = () => Math.round(performance.now() - started);
  if (!evalAllowed()) return post({ kind: "error", message: EVAL_MESSAGE });
  let derived: Derived;
  try {
    derived = derive(parseModel(job.text, job.source));
  } catch (err) {
    return post({ kind: "error", message: (err as Error).message });
  }
  post({ kind: "model", name: derived.model.name, parameters: derived.model.parameters });
  return solveStages(derived, job, ms);
}

async function solveStages(derived: Derived, job: Job, ms: () => number): Promise<void> {
  const runs: Partial<Record<RunKey, Result>> = {};
  const labels: Partial<Record<RunKey, string>> = {};
  let equationsSent = false;
  const show = (stage: string) => {
    const dmft = runs.dmft!;
    const v = {
      settings: { dt: dmft.meta.dt, d: SIM.d, seeds: SIM.seeds, batch: 0 },
      runs,
    } as unknown as Verdict;
    const legend: Legend[] = seriesOf(v).map((s) => ({
      label: labels[s.key] ?? s.label,
      color: s.color,
      kind: s.kind,
      dashed: s.dashed,
    }));
    const plots = observableOrder(dmft).map((name) => ({
      name,
      title: observableInfo(name).title,
      svg: observablePlot(v, name, { width: 380, height: 240 }),
    }));
    post({ kind: "plots", stage, plots, legend, ms: ms() });
  };
  // The equations come after the first curve (and after the JSON of a one-stage solve): the curve is what
  // the reader waits for.
  const sendEquations = () => {
    if (equationsSent) return;
    const system = buildDmftSystem(derived);
    post({ kind: "equations", html: renderSections(system).join("\n"), tex: renderTex(system) });
    equationsSent = true;
  };
  const which = chooseSolver(derived, "sgf");
  const tasks = tasksFor(job);
  let final!: Result;
  try {
    if (which !== "mc") {
      final = await solveAt(derived, job, { samples: job.samples, groups: 8 }, tasks);
      runs.dmft = final;
      labels.dmft = "DMFT, exact closed equations (linear model)";
      show("exact");
    } else {
      for (const st of stages(derived, job)) {
        const what = `M = ${st.samples}${st.groups === 8 ? "" : ` in ${st.groups} groups`}`;
        post({ kind: "status", text: `Monte-Carlo DMFT, ${what}…` });
        final = await solveAt(derived, job, st, tasks);
        runs.dmft = final;
        labels.dmft = `Monte-Carlo DMFT, ${what} (band ±2 SE)`;
        show(`mc M=${st.samples}`);
        if (st.samples !== job.samples) sendEquations();
      }
    }
  } catch (err) {
    const e = err as Error;
    return post({
      kind: "error",
      message: e instanceof UsageError ? e.message : `solve failed: ${e.message}`,
    });
  }
  post({
    kind: "solved",
    json: `${JSON.stringify(final)}\n`,
    csv: resultCsv(final),
    solver: which,
    ms: ms(),
    workers: which === "mc" ? tasks.threads : 1,
  });
  sendEquations();
  if (job.sim) {
    post({ kind: "status", text: `finite-d simulation, d = ${SIM.d}, ${SIM.seeds} seeds…` });
    try {
      runs.sgf = await simulate(derived, { ...SIM, dynamics: "sgf", seed: job.seed, ...tasks });
      labels.sgf = `SGF simulation, d = ${SIM.d}, ${SIM.seeds} seeds (±2 SE)`;
      show("simulation");
    } catch (err) {
      return post({ kind: "error", message: `simulation failed: ${(err as Error).message}` });
    }
  }
  post({ kind: "done", ms: ms() });
}

ctx.onmessage = (e) => {
  void runJob(e.data);
};
