// Turns G independent group solves into a Result: per-group observables (test loss / error from the
// group's own q, m), optional Richardson extrapolation per group, then mean and standard error over groups.
import { gaussianObservablesSeries } from "../../observables/gaussian.js";
import type { Derived, ObservableName, Result } from "../../types.js";
import { meanAndStderr } from "../../util/stats.js";
import type { GroupOut, SchemeParams } from "./group.js";

type Series = Partial<Record<ObservableName, Float64Array | number[]>>;

function groupSeries(derived: Derived, out: GroupOut, rhoStar: number): Series {
  const gauss = gaussianObservablesSeries(derived.fns, derived.binaryLabels, out.q, out.m, rhoStar);
  const s: Series = { train_loss: out.train_loss, test_loss: gauss.test_loss, q: out.q, m: out.m };
  if (gauss.test_error) s.test_error = gauss.test_error;
  return s;
}

export function combineGroups(derived: Derived, levels: SchemeParams[], outs: GroupOut[], G: number): Result {
  const coarse = levels[0];
  const rhoStar = coarse.rhoStar;
  const perGroup: Series[] = [];
  for (let g = 0; g < G; g++) {
    const s = groupSeries(derived, outs[g], rhoStar);
    if (levels.length > 1) {
      const fine = groupSeries(derived, outs[G + g], rhoStar);
      for (const key of Object.keys(s) as ObservableName[]) {
        const c = s[key]!;
        const f = fine[key]!;
        s[key] = Array.from(c, (v, k) => 2 * f[2 * k] - v);
      }
    }
    perGroup.push(s);
  }
  const result: Result = {
    t: Array.from({ length: coarse.N + 1 }, (_, k) => k * coarse.dt),
    observables: {},
    stderr: {},
    meta: {},
  };
  for (const key of Object.keys(perGroup[0]) as ObservableName[]) {
    const { mean, stderr } = meanAndStderr(perGroup.map((s) => s[key]!));
    result.observables[key] = mean;
    result.stderr[key] = stderr;
  }
  if (coarse.kernels) {
    const N1 = coarse.N + 1;
    result.kernels = {};
    for (const name of ["C_theta", "R_theta", "rho", "Gamma"] as const) {
      const { mean, stderr } = meanAndStderr(outs.slice(0, G).map((o) => o.kernels![name]));
      result.kernels[name] = { shape: name === "Gamma" ? [N1] : [N1, N1], data: mean, stderr };
    }
  }
  return result;
}
