// The collected outputs of a sweep: DIR/sweep.json ({grid, points: [{params, key, result}]}) and the tidy
// DIR/points.csv (one row per point and recorded time: grid parameters, t, each observable and its SE).
import type { ObservableName } from "../types.js";
import { observableOrder } from "../validate/compare.js";
import type { Axis } from "./grid.js";
import type { StoredPoint } from "./store.js";

export function sweepJson(axes: Axis[], points: StoredPoint[]): unknown {
  return {
    grid: Object.fromEntries(axes.map((a) => [a.name, a.values])),
    points: points.map(({ params, key, result }) => ({ params, key, result })),
  };
}

/** Observables of any point, in the canonical order (the first point's, then any others). */
export function observablesOfSweep(points: StoredPoint[]): ObservableName[] {
  const names: ObservableName[] = [];
  for (const p of points) for (const n of observableOrder(p.result)) if (!names.includes(n)) names.push(n);
  return names;
}

function cell(x: number | null | undefined): string {
  return x === undefined || x === null || Number.isNaN(x) ? "" : String(x);
}

/** Long-format CSV: `read_csv` gives one row per (point, t); empty cells are missing values. */
export function pointsCsv(axes: Axis[], points: StoredPoint[]): string {
  const names = observablesOfSweep(points);
  const header = [...axes.map((a) => a.name), "t", ...names.flatMap((n) => [n, `${n}_se`])];
  const lines = [header.join(",")];
  for (const p of points) {
    const r = p.result;
    r.t.forEach((t, k) => {
      const row = [
        ...axes.map((a) => cell(p.params[a.name])),
        cell(t),
        ...names.flatMap((n) => [cell(r.observables[n]?.[k]), cell(r.stderr[n]?.[k])]),
      ];
      lines.push(row.join(","));
    });
  }
  return `${lines.join("\n")}\n`;
}
