// What the report plots, in one place: the series of a validation (theory curves and simulation points),
// their labels, colours and markers, and the per-observable labels. Plots, CSVs and results.json use it.
import type { ObservableName, Result } from "../types.js";
import type { RunKey, Verdict } from "../validate/index.js";

export interface SeriesDef {
  key: RunKey;
  label: string;
  kind: "theory" | "sim";
  color: string;
  /** Theory curves: dashed line (continuum curves). */
  dashed?: boolean;
  /** Theory curves: draw the ±2 SE band. */
  band?: boolean;
  /** Simulation points: marker. */
  symbol?: "circle" | "square";
}

export interface ObservableInfo {
  title: string;
  /** Axis label (plain text with Unicode symbols). */
  axis: string;
  /** Definition in TeX, shown above the plot. */
  tex: string;
}

export const OBSERVABLES: Record<ObservableName, ObservableInfo> = {
  train_loss: {
    title: "Training loss",
    axis: "training loss  L̂(t)",
    tex: String.raw`\hat L(t) = \frac1n \sum_{i=1}^n L(r_i^t; y_i)`,
  },
  test_loss: {
    title: "Test loss",
    axis: "test loss  L(t)",
    tex: String.raw`L(t) = \mathbb E\, L\big(g; \varphi(g^*, \varepsilon)\big)`,
  },
  test_error: {
    title: "Test error",
    axis: "test error  P(sign g ≠ y)",
    tex: String.raw`\varepsilon(t) = \mathbb P\big(\operatorname{sign}(g) \neq y\big)`,
  },
  q: {
    title: "Norm",
    axis: "q(t) = |θ|²/d",
    tex: String.raw`q(t) = \lVert \theta^t \rVert^2 / d = C_\theta(t,t)`,
  },
  m: { title: "Teacher overlap", axis: "m(t) = θ·θ*/d", tex: String.raw`m(t) = \theta^t \cdot \theta^* / d` },
};

/** The series present in a verdict, in drawing order (theory first, then simulations on top). */
export function seriesOf(v: Verdict): SeriesDef[] {
  const s = v.settings;
  const all: SeriesDef[] = [
    {
      key: "dmft",
      label: `DMFT, step dt = ${s.dt} (band ±2 SE)`,
      kind: "theory",
      color: "#1f5fa8",
      band: true,
    },
    {
      key: "continuum",
      label: "DMFT SGF, continuum (Richardson)",
      kind: "theory",
      color: "#555555",
      dashed: true,
    },
    {
      key: "sgdLimit",
      label: "DMFT SGD limit, continuum (Richardson)",
      kind: "theory",
      color: "#8e44ad",
      dashed: true,
    },
    {
      key: "sgf",
      label: `SGF simulation, d = ${s.d}, ${s.seeds} seeds (±2 SE)`,
      kind: "sim",
      color: "#e67e22",
      symbol: "circle",
    },
    {
      key: "sgd",
      label: `SGD simulation, d = ${s.d}, B = ${s.batch} (±2 SE)`,
      kind: "sim",
      color: "#1e9e5a",
      symbol: "square",
    },
  ];
  return all.filter((d) => v.runs[d.key] !== undefined);
}

/** Observables of the gating theory run, in canonical order. */
export function observablesOf(v: Verdict): ObservableName[] {
  const order: ObservableName[] = ["train_loss", "test_loss", "test_error", "q", "m"];
  return order.filter((n) => v.runs.dmft.observables[n] !== undefined);
}

export interface Point {
  t: number;
  value: number;
  se: number;
}

/** One series of one observable as points (empty when the run lacks it). */
export function points(run: Result | undefined, name: ObservableName): Point[] {
  const values = run?.observables[name];
  if (!run || !values) return [];
  const se = run.stderr[name];
  return run.t.map((t, k) => ({ t, value: values[k], se: se?.[k] ?? 0 }));
}
