// Time grid of a simulation. SGF/GD/sgd-fraction: step dt (the learning rate for sgd-fraction), N = round(T/dt), recording every round(record/dt) steps
// (record must be a multiple of dt and divide T). SGD: one step advances time by eta/d with
// eta = tau * batch; recording k happens at step round(k record d / eta) and its exact time is reported.
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
