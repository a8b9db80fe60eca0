// The jumps of a model (Derived.jumps): the steps of each gradient entry l_a in its own r_a, with their
// sizes cross-checked against one-sided limits of the compiled l_a; the refusals (a loss that jumps, so
// that l has a Dirac delta; a penalty or pen' that jumps); and, for k = 1 models whose steps are affine
// in r, the generated source "(y, out) => count" of the locations and sizes (Derived.sources.jumps).
import type { Jump } from "../types.js";
import { RunError, UsageError } from "../util/errors.js";
import { Rng } from "../util/rng.js";
import { dependsOn, div, type Expr, isNum, neg, num, substitute, toText } from "./ast.js";
import { genBody, type ParamCode } from "./codegen.js";
import { acDerivative } from "./derivative.js";
import { evaluator, findSteps, rootsIn, type Sample, type Step, signNodes } from "./jumps.js";
import { toLatex } from "./latex.js";
import { simplify } from "./simplify.js";
import { checkLatex } from "./typeset.js";

const N_SAMPLES = 24;

export interface LossJumpInput {
  /** L(r; y) and its gradient (ac part) l_a, a < k. */
  loss: Expr;
  grad: Expr[];
  rNames: string[];
  /** y = label(wstar, eps) as a function of a sample's wstar names and eps. */
  label: (p: Sample) => number;
  wNames: string[];
  teacherVariance: number;
  params: Record<string, number>;
  /** How generated code reads each parameter (a literal, or P[i] for a scheduled one); default params. */
  code?: ParamCode;
  /** "models/x.yaml:4: loss", for messages. */
  where: string;
}

export interface LossJumps {
  jumps: Jump[];
  /** Derived.sources.jumps (k = 1, every step affine in r). */
  source?: string;
  checks: string[];
}

const fmt = (v: number) => Number(v.toPrecision(4));

export function lossJumps(input: LossJumpInput): LossJumps {
  const { rNames, params } = input;
  const vars = [...rNames, "y"];
  const rng = new Rng(20240601, 6);
  const samples: Sample[] = [];
  for (let i = 0; i < N_SAMPLES; i++) {
    const p: Sample = {};
    for (const w of input.wNames) p[w] = Math.sqrt(input.teacherVariance) * rng.normal();
    p.eps = rng.normal();
    const q: Sample = { y: input.label(p) };
    for (const r of rNames) q[r] = 3 * (2 * rng.uniform() - 1);
    samples.push(q);
  }
  const checks: string[] = [];
  rNames.forEach((r) => {
    const bad = findSteps(input.loss, r, vars, params, samples)[0];
    if (bad)
      throw new UsageError(
        `${input.where}: L jumps where ${toText(bad.u)} = 0 (size ${toText(bad.size)}), so l = dL/d${r} has a Dirac delta there; the loss must be continuous in ${r} (kinks are fine, steps are not)`,
      );
  });
  const jumps: Jump[] = [];
  const steps: Array<{ unit: number; step: Step }> = [];
  input.grad.forEach((g, a) => {
    for (const step of findSteps(g, rNames[a], vars, params, samples)) {
      steps.push({ unit: a, step });
      const loc = step.loc ?? undefined;
      const locText = loc ? toText(loc) : `roots of ${toText(step.u)} = 0`;
      const locTex = loc ? toLatex(loc) : `\\text{roots of } ${toLatex(step.u)} = 0`;
      const sizeTex = toLatex(step.size);
      checkLatex(`c = ${locTex},\\ J = ${sizeTex}`, `jump ${jumps.length + 1}`);
      jumps.push({ unit: a, loc: locText, size: toText(step.size), latex: { loc: locTex, size: sizeTex } });
    }
    // A step of l_a as another r_b crosses a kink is not a jump along unit a: reported, not handled.
    rNames.forEach((rb, b) => {
      if (b === a) return;
      const cross = findSteps(g, rb, vars, params, samples)[0];
      if (cross)
        checks.push(
          `note: l_${a + 1} also jumps where ${toText(cross.u)} = 0 as ${rb} varies (not a jump along ${rNames[a]}; the solver's jump terms do not cover it)`,
        );
    });
  });
  if (steps.length > 0) checks.push(...crossCheck(input, steps, vars, samples));
  const affine = steps.every((s) => s.step.loc !== undefined);
  const source =
    rNames.length === 1 && affine && steps.length > 0 ? jumpSource(steps, input.code ?? params) : undefined;
  return { jumps, source, checks };
}

/** Sizes against one-sided limits of the compiled l_a at each step's location (Richardson in the offset). */
function crossCheck(
  input: LossJumpInput,
  steps: Array<{ unit: number; step: Step }>,
  vars: string[],
  samples: Sample[],
): string[] {
  const { rNames, params } = input;
  const grads = input.grad.map((g) => evaluator(g, vars, params));
  const compiled = steps.map(({ unit, step }) => {
    const size = evaluator(step.size, vars, params);
    const x = rNames[unit];
    // Where the step sits at this sample: c = -beta / alpha, or the roots of u on [-10, 10].
    let at: (p: Sample) => number[];
    if (step.loc) {
      const loc = evaluator(step.loc, vars, params);
      const alpha = evaluator(step.alpha!, vars, params);
      at = (p) => (alpha(p) === 0 ? [] : [loc(p)].filter(Number.isFinite));
    } else {
      const u = evaluator(step.u, vars, params);
      at = (p) => rootsIn(u, p, x);
    }
    return { unit, size, at };
  });
  let used = 0;
  let worst = 0;
  for (const p of samples) {
    const locs = compiled.map((s) => s.at(p));
    compiled.forEach((s, i) => {
      const x = rNames[s.unit];
      for (const c of locs[i]) {
        const at = (t: number) => grads[s.unit]({ ...p, [x]: t });
        const d = (h: number) => at(c + h) - at(c - h);
        const h = 1e-6 * (1 + Math.abs(c));
        const limit = 2 * d(h / 2) - d(h);
        const same = (z: number) => Math.abs(z - c) <= 1e-9 * (1 + Math.abs(c));
        const want = compiled
          .filter((o, j) => o.unit === s.unit && locs[j].some(same))
          .reduce((acc, o) => acc + o.size({ ...p, [x]: c }), 0);
        const scale = 1 + Math.abs(at(c + h)) + Math.abs(at(c - h));
        const diff = Math.abs(limit - want) / scale;
        if (diff > 1e-6)
          throw new RunError(
            `symbolic check failed: jump of l_${s.unit + 1} at ${x} = ${c} (${Object.entries(p)
              .map(([k, v]) => `${k} = ${fmt(v)}`)
              .join(", ")}): one-sided limits differ by ${limit}, the symbolic size is ${want}`,
          );
        worst = Math.max(worst, diff);
        used++;
      }
    });
  }
  return used > 0
    ? [
        `jumps: ${steps.length} size(s) match one-sided limits of l at ${used} points (max rel. diff ${worst.toExponential(1)})`,
      ]
    : [];
}

/** "(y, out) => { ...; out[2j] = c_j; out[2j + 1] = J_j; return count; }" from the checked trees. */
function jumpSource(steps: Array<{ step: Step }>, params: ParamCode): string {
  const exprs = steps.flatMap(({ step }) => [step.beta!, step.alpha!, step.size]);
  const { lines, values } = genBody(exprs, { y: "y" }, params);
  steps.forEach((_, j) => {
    const [beta, alpha, size] = values.slice(3 * j, 3 * j + 3);
    lines.push(`  out[${2 * j}] = kinkAt(${beta}, ${alpha});`, `  out[${2 * j + 1}] = ${size};`);
  });
  return `(y, out) => {\n${lines.join("\n")}\n  return ${steps.length};\n}`;
}

/**
 * "(y, out) => { ...; out[j] = c_j; return count; }": every kink or step of `exprs` in r whose argument is
 * affine in r (k = 1), deduplicated by location; undefined when there is none.
 */
export function kinkSource(exprs: Expr[], params: ParamCode): string | undefined {
  const locs = new Map<string, { alpha: Expr; beta: Expr }>();
  for (const e of exprs)
    for (const node of signNodes(e, "r").values()) {
      const alpha = simplify(acDerivative(node.args[0], "r"));
      if (dependsOn(alpha, "r") || isNum(alpha, 0)) continue;
      const beta = simplify(substitute(node.args[0], "r", num(0)));
      locs.set(toText(simplify(neg(div(beta, alpha)))), { alpha, beta });
    }
  if (locs.size === 0) return undefined;
  const list = [...locs.values()];
  const { lines, values } = genBody(
    list.flatMap((c) => [c.beta, c.alpha]),
    { y: "y" },
    params,
  );
  list.forEach((_, j) => {
    lines.push(`  out[${j}] = kinkAt(${values[2 * j]}, ${values[2 * j + 1]});`);
  });
  return `(y, out) => {\n${lines.join("\n")}\n  return ${list.length};\n}`;
}

/** The penalty side: pen must be continuous and h = pen' too (a jump in h is not supported). */
export function penaltySteps(pen: Expr, h: Expr, params: Record<string, number>, where: string): void {
  const samples = Array.from({ length: 1 }, () => ({}) as Sample);
  for (const [e, what] of [
    [pen, "pen"],
    [h, "h = pen'"],
  ] as const) {
    const bad = findSteps(e, "theta", ["theta"], params, samples)[0];
    if (bad)
      throw new UsageError(
        `${where}: ${what} jumps where ${toText(bad.u)} = 0 (size ${toText(bad.size)}) (e.g. an L1 penalty); jumps of h = pen' are not supported, use a smooth penalty`,
      );
  }
}
