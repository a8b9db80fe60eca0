// combineGroups (src/solvers/mc/combine.ts): the test observables are evaluated once per recorded step at
// the groups' mean overlaps, with standard errors by the delta method. Against the direct route on
// synthetic groups (per-group quadratures, then mean and spread): the value differs by the Jensen term
// only (second order in the spread), the standard error by the linearisation (relative ~ the spread); and
// the Richardson steps act on the overlaps before the quadrature.
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { vectorTestObservables } from "../src/observables/vector.js";
import { combineGroups, type GroupResult, groupSeries } from "../src/solvers/mc/combine.js";
import type { GroupOut, SchemeParams } from "../src/solvers/mc/group.js";
import { loadDerived } from "../src/symbolic/index.js";
import { Rng } from "../src/util/rng.js";
import { meanAndStderr } from "../src/util/stats.js";

const path = (name: string) => fileURLToPath(new URL(`../models/${name}.yaml`, import.meta.url));

/** G groups of overlaps (q, m) scattered with relative spread `spread` about a curve, at 5 steps. */
function groups(G: number, spread: number, seed: number): GroupOut[] {
  const rng = new Rng(seed, 11);
  return Array.from({ length: G }, () => {
    const t = [0, 1, 2, 3, 4];
    const Q = Float64Array.from(t, (k) => (0.5 + 0.4 * k) * (1 + spread * rng.normal()));
    const M = Float64Array.from(t, (k) => (0.3 + 0.2 * k) * (1 + spread * rng.normal()));
    return { train_loss: Float64Array.from(t, () => 0.5), Q, M, clamped: 0, zeroPivots: 0 };
  });
}

describe("combineGroups: test observables at the mean overlaps", () => {
  const d = loadDerived(path("logistic-regression"), {});
  const level = { dt: 0.1, kernels: false } as SchemeParams;
  const record = [0, 1, 2, 3, 4];
  const direct = (outs: GroupOut[], key: "test_loss" | "test_error") =>
    meanAndStderr(
      outs.map((o) =>
        Array.from(
          o.Q,
          (_q, i) =>
            vectorTestObservables(d.vec, o.Q.subarray(i, i + 1), o.M.subarray(i, i + 1), 1, true, true)[key]!,
        ),
      ),
    );
  const asResults = (outs: GroupOut[]): GroupResult[] =>
    outs.map((out) => ({ out, series: groupSeries({ fns: d.fns, vec: d.vec, binaryLabels: true }, out) }));

  it("agrees with per-group quadratures: value to the Jensen term, standard error to the linearisation", async () => {
    // The same draws at two spreads: the value's gap to the mean of per-group values is the Jensen term,
    // second order in the spread (4x from half the spread); the standard error's relative error is first
    // order (2x).
    const gaps: { value: number; se: number; ref: number }[][][] = [];
    for (const spread of [0.02, 0.01]) {
      const outs = groups(8, spread, 1);
      const r = await combineGroups(d, [level], asResults(outs), 8, record);
      gaps.push(
        (["test_loss", "test_error"] as const).map((key) => {
          const ref = direct(outs, key);
          return record.map((_, i) => ({
            value: r.observables[key]![i] - ref.mean[i],
            se: r.stderr[key]![i] / ref.stderr[i] - 1,
            ref: ref.stderr[i],
          }));
        }),
      );
    }
    gaps[1].forEach((series, j) => {
      series.forEach((g, i) => {
        const wide = gaps[0][j][i];
        // The gap: a small part of a standard error, and 4x at twice the spread (second order).
        expect(Math.abs(g.value)).toBeLessThan(0.1 * g.ref);
        expect(wide.value / g.value).toBeGreaterThan(3.5);
        expect(wide.value / g.value).toBeLessThan(4.5);
        // The standard error: relative error of the order of the spread (first order).
        expect(Math.abs(g.se)).toBeLessThan(2 * 0.01);
        expect(Math.abs(wide.se)).toBeLessThan(2 * 0.02);
      });
    });
  });

  it("extrapolates the overlaps (2 full - half) before the quadrature; the correction is linearised", async () => {
    const full = groups(4, 0.01, 2);
    const half = groups(4, 0.01, 3);
    const r = await combineGroups(d, [level], asResults([...full, ...half]), 4, record, true);
    const combined = full.map((f, g) => ({
      ...f,
      Q: Float64Array.from(f.Q, (q, i) => 2 * q - half[g].Q[i]),
      M: Float64Array.from(f.M, (m, i) => 2 * m - half[g].M[i]),
    }));
    const mean = (outs: GroupOut[], X: "Q" | "M", i: number) =>
      outs.reduce((a, o) => a + o[X][i], 0) / outs.length;
    for (let i = 0; i < record.length; i++) {
      const at = (outs: GroupOut[]) =>
        vectorTestObservables(
          d.vec,
          Float64Array.of(mean(outs, "Q", i)),
          Float64Array.of(mean(outs, "M", i)),
          1,
          true,
          true,
        ).test_loss;
      expect(r.observables.test_loss![i]).toBe(at(combined));
      // Linearised correction vs the difference of the quadratures at the two means.
      expect(r.correction.test_loss![i]).toBeCloseTo(at(full) - at(half), 4);
    }
  });
});
