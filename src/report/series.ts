// What the report plots, in one place: the series of a validation (theory curves and simulation points),
// their labels, colours and markers, and the per-observable labels. Plots, CSVs and results.json use it.
import type { ObservableName, Result } from "../types.js";
import { observableOrder } from "../validate/compare.js";
import type { RunKey, Verdict } from "../validate/index.js";
import { simulatedLabel } from "../validate/settings.js";

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
  /** The title inside a sentence ("disagree on test loss, Q₁₂"). */
  inSentence: string;
  /** Short name for legends (residuals). */
  short: string;
  /** Axis label (plain text with Unicode symbols). */
  axis: string;
  /** Definition in TeX, shown above the plot. */
  tex: string;
}

type ScalarName = "train_loss" | "test_loss" | "test_error" | "q" | "m";

const SCALAR: Record<ScalarName, Omit<ObservableInfo, "inSentence" | "short">> = {
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

const SUB = "₀₁₂₃₄₅₆₇₈₉";

/** Unicode subscript of a number: 12 -> "₁₂". */
function sub(n: number): string {
  return [...String(n)].map((c) => SUB[Number(c)]).join("");
}

/** Subscript of two 1-based indices: "₁₂", or "₁,₁₀" when an index has two digits. */
export function subscript(a: number, b: number): string {
  return a > 9 || b > 9 ? `${sub(a)},${sub(b)}` : `${sub(a)}${sub(b)}`;
}

/** Title, axis label and definition of any observable, including the matrix entries Q_a_b and M_a_c. */
export function observableInfo(name: ObservableName): ObservableInfo {
  const hit = /^([QM])_(\d+)_(\d+)$/.exec(name);
  if (!hit) {
    const info = SCALAR[name as ScalarName];
    return { ...info, inSentence: info.title.toLowerCase(), short: info.title };
  }
  const [a, b] = [Number(hit[2]), Number(hit[3])];
  const short = `${hit[1]}${subscript(a, b)}`;
  const tb = a > 9 || b > 9 ? `${a},${b}` : `${a}${b}`;
  if (hit[1] === "Q") {
    return {
      title: `Overlap ${short}`,
      inSentence: short,
      short,
      axis: `${short}(t) = θ${sub(a)}·θ${sub(b)}/d`,
      tex: String.raw`Q_{${tb}}(t) = \theta_{${a}}^t \cdot \theta_{${b}}^t / d = C_\theta(t,t)_{${tb}}`,
    };
  }
  return {
    title: `Teacher overlap ${short}`,
    inSentence: short,
    short,
    axis: `${short}(t) = θ${sub(a)}·θ*${sub(b)}/d`,
    tex: String.raw`M_{${tb}}(t) = \theta_{${a}}^t \cdot \theta^*_{${b}} / d`,
  };
}

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
      label: `${simulatedLabel(s)} simulation, d = ${s.d}, ${s.seeds} seeds (±2 SE)`,
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

/** Observables of the gating theory run, in canonical order (losses, then q, m or the Q and M entries). */
export function observablesOf(v: Verdict): ObservableName[] {
  return observableOrder(v.runs.dmft);
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
