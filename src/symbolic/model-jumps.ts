// The jumps of a model (Derived.jumps): the steps of each gradient entry l_a in its own r_a, with their
// sizes cross-checked against one-sided limits of the compiled l_a; the refusals (a loss that jumps, so
// that l has a Dirac delta; a penalty or pen' that jumps); and, for k = 1 models whose steps are affine
// in r, the generated source "(y, out) => count" of the locations and sizes (Derived.sources.jumps).
import type { Jump } from "../types.js";
import { RunError, UsageError } from "../util/errors.js";
import { Rng } from "../util/rng.js";
import { type Expr, toText } from "./ast.js";
import { genBody } from "./codegen.js";
import { evaluator, findSteps, type Sample, type Step } from "./jumps.js";
import { toLatex } from "./latex.js";
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
  const source = rNames.length === 1 && affine && steps.length > 0 ? jumpSource(steps, params) : undefined;
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
  const compiled = steps.map(({ unit, step }) => ({
    unit,
    size: evaluator(step.size, vars, params),
    loc: step.loc ? evaluator(step.loc, vars, params) : undefined,
    alpha: step.alpha ? evaluator(step.alpha, vars, params) : undefined,
  }));
  let used = 0;
  let worst = 0;
  for (const p of samples)
    for (const s of compiled) {
      if (!s.loc || !s.alpha || s.alpha(p) === 0) continue;
      const x = rNames[s.unit];
      const c = s.loc(p);
      if (!Number.isFinite(c)) continue;
      const at = (t: number) => grads[s.unit]({ ...p, [x]: t });
      const d = (h: number) => at(c + h) - at(c - h);
      const h = 1e-6 * (1 + Math.abs(c));
      const limit = 2 * d(h / 2) - d(h);
      const want = compiled
        .filter((o) => o.unit === s.unit && o.loc && Math.abs(o.loc(p) - c) <= 1e-9 * (1 + Math.abs(c)))
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
  const nonAffine = steps.length - compiled.filter((s) => s.loc).length;
  return [
    ...(used > 0
      ? [
          `jumps: ${steps.length - nonAffine} size(s) match one-sided limits of l at ${used} points (max rel. diff ${worst.toExponential(1)})`,
        ]
      : []),
    ...(nonAffine > 0
      ? [`note: ${nonAffine} step(s) of l not affine in r (location = roots, not checked)`]
      : []),
  ];
}

/** "(y, out) => { ...; out[2j] = c_j; out[2j + 1] = J_j; return count; }" from the checked trees. */
function jumpSource(steps: Array<{ step: Step }>, params: Record<string, number>): string {
  const exprs = steps.flatMap(({ step }) => [step.beta!, step.alpha!, step.size]);
  const { lines, values } = genBody(exprs, { y: "y" }, params);
  steps.forEach((_, j) => {
    const [beta, alpha, size] = values.slice(3 * j, 3 * j + 3);
    lines.push(`  out[${2 * j}] = kinkAt(${beta}, ${alpha});`, `  out[${2 * j + 1}] = ${size};`);
  });
  return `(y, out) => {\n${lines.join("\n")}\n  return ${steps.length};\n}`;
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
