// Document blocks for non-smooth models (Derived.jumps): l = l_ac + sum_j J_j H(r - c_j), the jump term of
// the responses (l' has Dirac masses J_j delta(r - c_j)), and why the pathwise tangent misses it.
import type { Derived } from "../types.js";
import { aligned, p } from "./blocks.js";
import type { Block } from "./types.js";

const E = "\\mathbb{E}";

/** Empty for smooth models. Vector models: l_a jumps as r_a crosses c_j (sizes may depend on r). */
export function jumpBlocks(derived: Derived): Block[] {
  const jumps = derived.jumps ?? [];
  if (jumps.length === 0) return [];
  const vector = derived.vector !== undefined;
  const ell = (a: number) => (vector ? `\\ell_{${a + 1}}` : "\\ell");
  const r = (a: number) => (vector ? `r_{${a + 1}}` : "r");
  const units = [...new Set(jumps.map((j) => j.unit))];
  const decomposition = units.map((a) => {
    const terms = jumps
      .map((j, i) => ({ j, i }))
      .filter(({ j }) => j.unit === a)
      .map(({ i }) => `J_{${i + 1}}\\,H\\big(${r(a)} - c_{${i + 1}}\\big)`);
    return `${ell(a)}(r; y) &= ${ell(a)}^{\\mathrm{ac}}(r; y) + ${terms.join(" + ")}`;
  });
  const sizes = jumps.map((j, i) => `c_{${i + 1}} &= ${j.latex.loc}, \\qquad J_{${i + 1}} = ${j.latex.size}`);
  const local = jumps.map(
    (j, i) => `${E}\\big[J_{${i + 1}}\\,p_{${r(j.unit)}^t}\\big(c_{${i + 1}} \\mid y\\big)\\big]`,
  );
  const curvature = vector ? "H" : "\\ell'";
  return [
    p(
      `For this model $${vector ? "\\nabla_r L" : "\\ell"}$ jumps: with $H$ the Heaviside step and ` +
        `$${ell(units[0])}^{\\mathrm{ac}}$ continuous,`,
    ),
    aligned([...decomposition, ...sizes]),
    p(
      `so $${curvature}$ is the derivative of the absolutely continuous part (Derivatives) plus Dirac masses ` +
        "$J_j\\,\\delta(r - c_j)$, and the local response has a jump term (the density of the prediction at the kink, " +
        "given the label):",
    ),
    aligned([
      `R_\\ell^{\\mathrm{loc}}(t)${vector ? "_{aa}" : ""} &= ${E}[${vector ? "H_{aa}" : "\\ell'"}^{\\mathrm{ac}}(r^t; y)] + ${local.join(" + ")}` +
        (vector ? "\\quad (\\text{terms of unit } a)." : "."),
    ]),
    p(
      "The two-time response $R_\\ell(t,s)$ has such terms at every time between $s$ and $t$: a jump at an earlier " +
        "time moves every later prediction. A pathwise tangent $\\partial r^t / \\partial w^s$ built from " +
        `$${curvature}^{\\mathrm{ac}}$ alone misses all of them; the Monte-Carlo solver needs a response estimator ` +
        "that sees the jumps (conditional branching at the kinks, or Stein's identity; see docs/theory.md).",
    ),
  ];
}
