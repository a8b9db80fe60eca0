// Time grid of a simulation. SGF/GD/sgd-fraction: step dt (the learning rate for sgd-fraction), N = round(T/dt), recording every round(record/dt) steps
// (record must be a multiple of dt and divide T). SGD: one step advances time by eta/d with
// eta = tau * batch; recording k happens at step round(k record d / eta) and its exact time is reported.
import type { ScheduleSet, StepSchedule } from "../symbolic/schedule.js";
import { UsageError } from "../util/errors.js";

export interface Grid {
  /** Time per step (dt for SGF/GD, eta/d for SGD). */
  dt: number;
  batch: number;
  /** Steps at which the state is recorded (increasing, first 0, last = total steps). */
  recordSteps: number[];
  /** Nominal recording interval. */
  record: number;
}

function positive(name: string, v: number): number {
  if (!Number.isFinite(v) || v <= 0)
    throw new UsageError(`simulate: ${name} must be a positive number, got ${v}`);
  return v;
}

function nearInteger(x: number): number | undefined {
  const k = Math.round(x);
  return Math.abs(x - k) <= 1e-9 * Math.max(1, k) ? k : undefined;
}

export function planGrid(
  opts: { dynamics: string; batch?: number; dt?: number; T?: number; record?: number },
  time: { T: number; dt: number },
  tau: number,
  d: number,
): Grid {
  const T = positive("T", opts.T ?? time.T);
  if (opts.dynamics === "sgd") {
    const batch = opts.batch ?? 1;
    if (!Number.isInteger(batch) || batch < 1)
      throw new UsageError(`simulate: batch must be a positive integer`);
    if (!(tau > 0)) throw new UsageError("simulate: sgd needs tau > 0 (learning rate eta = tau * batch)");
    const dt = (tau * batch) / d;
    const record = positive("record", opts.record ?? opts.dt ?? time.dt);
    if (record < dt)
      throw new UsageError(`simulate: record = ${record} is shorter than one SGD step eta/d = ${dt}`);
    const K = Math.round(T / record);
    if (K < 1) throw new UsageError(`simulate: T = ${T} is shorter than one recording interval ${record}`);
    const recordSteps = Array.from({ length: K + 1 }, (_, k) => Math.round((k * record) / dt));
    return { dt, batch, recordSteps, record };
  }
  if (opts.dynamics !== "sgf" && opts.dynamics !== "gd" && opts.dynamics !== "sgd-fraction") {
    throw new UsageError(`simulate: unknown dynamics '${opts.dynamics}' (sgf, gd, sgd or sgd-fraction)`);
  }
  if (opts.batch !== undefined) throw new UsageError("simulate: --batch applies to sgd only");
  const dt = positive("dt", opts.dt ?? time.dt);
  const record = positive("record", opts.record ?? dt);
  const stepsPerRecord = nearInteger(record / dt);
  if (!stepsPerRecord) throw new UsageError(`simulate: record = ${record} is not a multiple of dt = ${dt}`);
  const N = Math.round(T / dt);
  if (N < 1) throw new UsageError(`simulate: T = ${T} is shorter than one step dt = ${dt}`);
  if (N % stepsPerRecord !== 0) {
    throw new UsageError(
      `simulate: T / dt = ${N} steps is not a multiple of record / dt = ${stepsPerRecord}`,
    );
  }
  const recordSteps = Array.from({ length: N / stepsPerRecord + 1 }, (_, k) => k * stepsPerRecord);
  return { dt, batch: 1, recordSteps, record: stepsPerRecord * dt };
}

/** SGD under schedules: steps, their start times and the per-step values (plus the recording steps). */
export interface SgdSchedulePlan {
  schedule: StepSchedule & { times: Float64Array; batches?: Int32Array; eta?: number };
  recordSteps: number[];
  /** Batch-size schedule: the largest |eta / B_s - tau(t_s)| / tau(t_s) from rounding B_s to an integer. */
  batchRounding?: number;
}

const MAX_SGD_STEPS = 5e7;

/**
 * SGD with scheduled parameters (issue 16): step s at time t_s takes the learning rate eta_s = batch tau(t_s)
 * and advances time by eta_s / d (the schedule at the left end of the step, as in the SGF simulator).
 * by = "batch": the learning rate stays eta = batch tau(0) and the batch size follows the schedule,
 * B_s = round(eta / tau(t_s)) (tau = eta / B_s up to that rounding, reported as batchRounding).
 * Recording k happens at the step whose start time is nearest to k record; its exact time is reported.
 */
export function planSgdSchedule(
  s: ScheduleSet,
  parameters: Record<string, number>,
  grid: Grid,
  T: number,
  d: number,
  by: "eta" | "batch" = "eta",
): SgdSchedulePlan {
  const n = s.names.length;
  const iTau = s.names.indexOf("tau");
  // Batch-size schedule: fixed eta = B tau(0), B_s = round(eta / tau(t_s)) >= 1, time step eta / d.
  const eta = grid.batch * parameters.tau; // parameters.tau is tau(0)
  const batches: number[] = [];
  let rounding = 0;
  const K = grid.recordSteps.length - 1;
  const end = K * grid.record;
  const vals = new Float64Array(n);
  const table: number[] = [];
  const tau: number[] = [];
  const times: number[] = [];
  // Time of step s: anchor + (s - sAnchor) * step length, re-anchored when eta changes, so that a constant
  // (or piecewise constant) schedule gives exactly the times s eta / d of the constant learning rate.
  let t = 0;
  let anchor = { t: 0, s: 0, len: Number.NaN };
  for (;;) {
    s.at(t, vals);
    const tk = iTau >= 0 ? vals[iTau] : parameters.tau;
    if (!(tk > 0) || !vals.every(Number.isFinite))
      throw new UsageError(`simulate: sgd needs finite schedules and tau(t) > 0; tau(${t}) = ${tk}`);
    times.push(t);
    table.push(...vals);
    tau.push(tk);
    if (by === "batch") {
      const b = Math.max(1, Math.round(eta / tk));
      batches.push(b);
      rounding = Math.max(rounding, Math.abs(eta / b - tk) / tk);
    }
    if (t >= end || times.length > MAX_SGD_STEPS) break;
    const len = by === "batch" ? eta / d : (tk * grid.batch) / d;
    if (len !== anchor.len) anchor = { t, s: times.length - 1, len };
    t = anchor.t + (times.length - anchor.s) * len;
  }
  if (times.length > MAX_SGD_STEPS)
    throw new UsageError(`simulate: the schedule needs over ${MAX_SGD_STEPS} SGD steps to reach T = ${T}`);
  const recordSteps: number[] = [];
  let s0 = 0;
  for (let k = 0; k <= K; k++) {
    const target = k * grid.record;
    while (s0 + 1 < times.length && Math.abs(times[s0 + 1] - target) <= Math.abs(times[s0] - target)) s0++;
    recordSteps.push(s0);
  }
  const steps = recordSteps[K];
  return {
    schedule: {
      n,
      table: Float64Array.from(table.slice(0, (steps + 1) * n)),
      tau: Float64Array.from(tau.slice(0, steps + 1)),
      times: Float64Array.from(times.slice(0, steps + 1)),
      ...(by === "batch" ? { batches: Int32Array.from(batches.slice(0, steps + 1)), eta } : {}),
    },
    recordSteps,
    ...(by === "batch" ? { batchRounding: rounding } : {}),
  };
}
