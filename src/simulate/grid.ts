// Time grid of a simulation. SGF/GD: step dt, N = round(T/dt), recording every round(record/dt) steps
// (record must be a multiple of dt and divide T). SGD: one step advances time by eta/d with
// eta = tau * batch; recording k happens at step round(k record d / eta) and its exact time is reported.
// `recordEvery` (K or "log", src/util/record.ts) instead records the points recordSteps(N, spec) of the
// dt grid, t = k dt with N = round(T/dt): the grid a DMFT solve with the same --record writes (for SGD,
// dt is only the recording grid).
import { UsageError } from "../util/errors.js";
import { checkedRecordSteps, type RecordSpec } from "../util/record.js";

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
  opts: {
    dynamics: string;
    batch?: number;
    dt?: number;
    T?: number;
    record?: number;
    recordEvery?: RecordSpec;
  },
  time: { T: number; dt: number },
  tau: number,
  d: number,
): Grid {
  const T = positive("T", opts.T ?? time.T);
  if (opts.recordEvery !== undefined) {
    if (opts.record !== undefined)
      throw new UsageError(
        "simulate: give either a recording interval or a recording grid (K or log), not both",
      );
    const base = planGrid({ ...opts, recordEvery: undefined, record: undefined }, time, tau, d);
    const gridDt = opts.dynamics === "sgd" ? base.record : base.dt;
    const N = Math.round(T / gridDt);
    if (N < 1) throw new UsageError(`simulate: T = ${T} is shorter than one step dt = ${gridDt}`);
    const steps = checkedRecordSteps("simulate", N, opts.recordEvery);
    const perPoint = gridDt / base.dt;
    return { ...base, recordSteps: steps.map((k) => Math.round(k * perPoint)), record: gridDt };
  }
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
  if (opts.dynamics !== "sgf" && opts.dynamics !== "gd") {
    throw new UsageError(`simulate: unknown dynamics '${opts.dynamics}' (sgf, gd or sgd)`);
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
