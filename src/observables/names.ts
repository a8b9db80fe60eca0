// Names of the overlap observables for any k: q and m for scalar models, the entries Q_a_b (a <= b) of
// Q = theta^T theta / d and M_a_c of M = theta^T theta* / d for vector models (1-based indices).
import type { ObservableName } from "../types.js";

export interface OverlapEntry {
  name: ObservableName;
  /** "Q" or "M" */
  matrix: "Q" | "M";
  /** 0-based row and column. */
  a: number;
  b: number;
}

/** True when the model has matrix overlaps (k > 1 or kTeacher > 1). */
export function isVector(k: number, kTeacher: number): boolean {
  return k > 1 || kTeacher > 1;
}

/**
 * Shape of a written kernel: the time axes, then its k x k block (k x k* for Gamma and other teacher-side
 * kernels) — dropped for scalar models, whose 1 x 1 blocks are written as plain time arrays.
 */
export function kernelShape(times: number[], k: number, kTeacher: number, teacherSide = false): number[] {
  return isVector(k, kTeacher) ? [...times, k, teacherSide ? kTeacher : k] : times;
}

/** The overlap observables in display order: Q entries (upper triangle, row by row), then M entries. */
export function overlapNames(k: number, kTeacher: number): OverlapEntry[] {
  if (!isVector(k, kTeacher)) {
    return [
      { name: "q", matrix: "Q", a: 0, b: 0 },
      { name: "m", matrix: "M", a: 0, b: 0 },
    ];
  }
  const out: OverlapEntry[] = [];
  for (let a = 0; a < k; a++)
    for (let b = a; b < k; b++) out.push({ name: `Q_${a + 1}_${b + 1}`, matrix: "Q", a, b });
  for (let a = 0; a < k; a++)
    for (let c = 0; c < kTeacher; c++) out.push({ name: `M_${a + 1}_${c + 1}`, matrix: "M", a, b: c });
  return out;
}
