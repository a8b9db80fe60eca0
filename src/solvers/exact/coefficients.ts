// Coefficients of a linear model for the exact solvers: l(r; y) = a r + b(y) with a constant, penalty
// gradient h(theta) = lambda theta + c (c: a tilt), and the label moments through which the labels enter the closed
// equations (E b, E b^2, E w* b, E L(0; y)), computed by the jump-aware quadrature of
// src/observables/gaussian.ts (so discontinuous labels such as sign(w* + sigma eps) are integrated exactly).
import { expectFreshPair } from "../../observables/gaussian.js";
import { pairNodes } from "../../observables/pair-rule.js";
import type { Derived } from "../../types.js";
import { UsageError } from "../../util/errors.js";

export interface LinearCoefficients {
  /** d2L/dr2 (constant). */
  a: number;
  /** h(theta) = lambda theta + tilt. */
  lambda: number;
  tilt: number;
  rhoStar: number;
  /** E b(y)^2, b(y) = l(0; y). */
  Eb2: number;
  /** E w* b(y). */
  Ewb: number;
  /** E L(0; y). */
  EL0: number;
}

const R_PROBES = [-3.1, -0.7, 0, 0.4, 2.3];
const TH_PROBES = [-2.7, -0.3, 0.6, 1.9];

function close(u: number, v: number): boolean {
  return Math.abs(u - v) <= 1e-9 * (1 + Math.abs(u) + Math.abs(v));
}

/** The first probe where h(theta) = lambda theta (h linear through 0) fails, or undefined. */
function ridgeMiss(derived: Derived): number | undefined {
  const { h, dh } = derived.fns;
  const lambda = dh(0);
  return TH_PROBES.find((th) => !close(h(th), lambda * th) || !close(dh(th), lambda));
}

/** Whether h(theta) = lambda theta (h linear through 0), checked at several points. */
export function isRidge(derived: Derived): boolean {
  return ridgeMiss(derived) === undefined;
}

/** Checks that h(theta) = lambda theta (h linear through 0) and returns lambda. */
export function ridgeOf(derived: Derived, what: string): number {
  const th = ridgeMiss(derived);
  if (th !== undefined) {
    throw new UsageError(
      `${what} needs a penalty gradient h(theta) = lambda theta (quadratic penalty through 0); ` +
        `h = ${derived.text.h} is not of that form (h(${th}) = ${derived.fns.h(th)})`,
    );
  }
  return derived.fns.dh(0);
}

/** h(theta) = lambda theta + tilt (checked at several points; tilt = h(0)), or a UsageError. */
export function affinePenalty(derived: Derived, what: string): { lambda: number; tilt: number } {
  const { h, dh } = derived.fns;
  const lambda = dh(0);
  const tilt = h(0);
  for (const th of TH_PROBES) {
    if (!close(h(th), tilt + lambda * th) || !close(dh(th), lambda)) {
      throw new UsageError(
        `${what} needs a penalty gradient h(theta) = lambda theta + c (quadratic penalty); ` +
          `h = ${derived.text.h} is not of that form (h(${th}) = ${h(th)})`,
      );
    }
  }
  return { lambda, tilt };
}

/** Extracts (a, lambda) and the label moments; throws UsageError when the model is not linear. */
export function linearCoefficients(derived: Derived, what: string): LinearCoefficients {
  const { fns, model } = derived;
  if (model.k !== 1) throw new UsageError(`${what}: models with k > 1 are not supported`);
  const rhoStar = model.teacherVariance;
  const { lambda, tilt } = affinePenalty(derived, what);
  const a = fns.dl(0, 0);
  const nodes = pairNodes(fns.label, rhoStar);
  for (let j = 0; j < nodes.y.length; j += Math.max(1, Math.floor(nodes.y.length / 25))) {
    const y = nodes.y[j];
    for (const r of R_PROBES) {
      if (!close(fns.dl(r, y), a) || !close(fns.l(r, y), fns.l(0, y) + a * r)) {
        throw new UsageError(
          `${what} needs d2L/dr2 constant (l = a r + b(y)); dl = ${derived.text.dl} is ${fns.dl(r, y)} ` +
            `at r = ${r}, y = ${y} but ${a} at r = 0, y = 0`,
        );
      }
    }
  }
  const E = (f: (y: number, gs: number) => number) =>
    expectFreshPair(fns.label, 0, 0, rhoStar, (_g, y, gs) => f(y, gs));
  return {
    a,
    lambda,
    tilt,
    rhoStar,
    Eb2: E((y) => fns.l(0, y) ** 2),
    Ewb: E((y, gs) => gs * fns.l(0, y)),
    EL0: E((y) => fns.loss(0, y)),
  };
}
