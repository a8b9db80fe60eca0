// The derivation of every model, k >= 1 (a k = 1 model is the 1 x 1 case): L(r1..rk; y) composed through
// the activation, its gradient l_a = dL/dr_a and Hessian H_ab = d2L/dr_a dr_b by our rule table, and the
// vector sources (vloss, vgrad, vhess, vlabel, vpredict, and the fused lossGradHess) generated from the
// checked trees. index.ts builds the scalar functions of k = 1 models from the same trees (loss, l = l_1,
// dl = H_11, label). For vector models also their checks and their text and LaTeX (Derived.vector).
// The Hessian is derived in both orders: H_ab (a <= b) is compiled and mirrored, so vhess is exactly
// symmetric, and d(l_b)/dr_a is compiled only to check the symmetry numerically.
import type { FusedFnName, Model, VecFnName, VectorFns, VectorForms, VectorFormTexts } from "../types.js";
import { type Expr, sym, toText } from "./ast.js";
import { genBody, genLossGradHess, type ParamCode } from "./codegen.js";
import { compileSource, VEC_ARGS } from "./compile.js";
import { toLatex } from "./latex.js";
import { stabilize } from "./rewrite.js";
import { typeset } from "./typeset.js";
import { runVectorChecks } from "./vector-checks.js";

export interface VectorInput {
  model: Model;
  rNames: string[];
  wNames: string[];
  /** The model's own forms (user term order) after parsing and sum expansion; no activation: undefined. */
  activation?: Expr;
  userLoss: Expr;
  label: Expr;
  /** d e / d x, stabilised and size-checked; errors name the model key. */
  diff: (e: Expr, x: string, name: string, key: string) => Expr;
  /** Parameters as generated code (scheduled ones read P[i]) and the slots P (Derived.schedule). */
  code?: ParamCode;
  P?: Float64Array;
}

export interface VectorDerivation {
  /** The stabilised loss, its gradient and Hessian (row-major k x k; absolutely continuous parts). */
  loss: Expr;
  grad: Expr[];
  hess: Expr[];
  /** The stabilised label. */
  label: Expr;
  sources: Record<VecFnName | FusedFnName, string>;
}

/** Trees and sources of the loss side, every k. */
export function deriveVector(input: VectorInput): VectorDerivation {
  const { model, rNames, wNames, diff } = input;
  const k = rNames.length;
  const loss = stabilize(input.userLoss);
  const label = stabilize(input.label);
  // k = 1: the prediction compared with +-1 labels is r itself (VectorFns.predict).
  const predict = k === 1 ? sym(rNames[0]) : input.activation ? stabilize(input.activation) : undefined;
  const gradName = (a: number) => (k === 1 ? "l = dL/dr" : `l_${a + 1} = dL/d${rNames[a]}`);
  const grad = rNames.map((ra, a) => diff(loss, ra, gradName(a), "loss"));
  const hessName = (a: number, b: number) =>
    k === 1 ? "dl = d2L/dr2" : `H_${a + 1}${b + 1} = d2L/d${rNames[a]}d${rNames[b]}`;
  const hess: Expr[] = [];
  for (let a = 0; a < k; a++)
    for (let b = 0; b < k; b++)
      hess.push(a <= b ? diff(grad[a], rNames[b], hessName(a, b), "loss") : hess[b * k + a]);

  const src = new SourceWriter(input.code ?? model.parameters, rNames, wNames);
  const sources: Record<VecFnName | FusedFnName, string> = {
    vloss: src.value("vloss", loss),
    vgrad: src.store("vgrad", grad),
    vhess: src.store("vhess", hess, true),
    vlabel: src.value("vlabel", label),
    vpredict: predict
      ? src.value("vpredict", predict)
      : `(${VEC_ARGS.vpredict.join(", ")}) => noPrediction()`,
    lossGradHess: src.fused(loss, grad, hess),
  };
  return { loss, grad, hess, label, sources };
}

/** The checks of a vector model's compiled functions `vec` (vector-checks.ts). */
export function vectorChecks(input: VectorInput, d: VectorDerivation, vec: VectorFns): string[] {
  const { model, rNames, wNames, diff } = input;
  const k = rNames.length;
  const hessSwapped = d.hess.map((e, i) => {
    const [a, b] = [Math.floor(i / k), i % k];
    const what = `H_${b + 1}${a + 1} = d2L/d${rNames[b]}d${rNames[a]}`;
    return a >= b ? e : diff(d.grad[b], rNames[a], what, "loss");
  });
  const src = new SourceWriter(input.code ?? model.parameters, rNames, wNames);
  return runVectorChecks({
    vec,
    userLoss: compileSource(src.value("vloss", input.userLoss), input.P) as unknown as typeof vec.loss,
    hessSwapped: compileSource(src.store("vhess", hessSwapped), input.P) as unknown as typeof vec.hess,
    lossText: toText(input.userLoss),
    rNames,
    hasPredict: input.activation !== undefined,
    parameters: model.parameters,
    teacherVariance: model.teacherVariance,
    source: model.source,
  });
}

/** Display of a vector model: the model's own loss, label and activation; derivatives in their compiled form. */
export function vectorForms(input: VectorInput, d: VectorDerivation): { vector: VectorForms; check: string } {
  const { rNames, wNames } = input;
  const { grad, hess } = d;
  const k = rNames.length;
  const r = (a: number) => toLatex(sym(rNames[a]));
  const text: VectorFormTexts = {
    loss: toText(input.userLoss),
    predict: input.activation ? toText(input.activation) : NO_PREDICTION,
    grad: grad.map(toText),
    hess: hess.map(toText),
    label: toText(input.label),
  };
  const rs = rNames.map((_, a) => r(a)).join(", ");
  const ws = wNames.map((w) => toLatex(sym(w))).join(", ");
  const latex: VectorFormTexts = {
    loss: typeset(`L(${rs}; y)`, input.userLoss, "L"),
    predict: input.activation
      ? typeset(`\\hat{y}(${rs})`, input.activation, "yhat")
      : `\\text{${NO_PREDICTION}}`,
    grad: grad.map((e, a) => typeset(`\\frac{\\partial L}{\\partial ${r(a)}}`, e, `l_${a + 1}`)),
    hess: hess.map((e, i) => {
      const [a, b] = [Math.floor(i / k), i % k];
      const lhs = `\\frac{\\partial^2 L}{\\partial ${r(a)} \\, \\partial ${r(b)}}`;
      return typeset(lhs, e, `H_${a + 1}${b + 1}`);
    }),
    label: typeset(`y = \\varphi(${ws}, \\varepsilon)`, input.label, "label"),
  };
  return {
    vector: { rNames, wstarNames: wNames, text, latex },
    check: `LaTeX of L, yhat, ${k} gradient and ${k * k} Hessian entries and the label parses with KaTeX`,
  };
}

const NO_PREDICTION = "none (no activation: the loss is written in the pre-activations)";

/** Writes the vector sources: inputs read from r[ro + a] / w[wo + c], outputs stored at out[oo + i]. */
class SourceWriter {
  private readonly bind: Record<string, string>;
  constructor(
    private readonly params: ParamCode,
    rNames: string[],
    wNames: string[],
  ) {
    const at = (arr: string, off: string, i: number) =>
      i === 0 ? `${arr}[${off}]` : `${arr}[${off} + ${i}]`;
    this.bind = { y: "y", eps: "eps" };
    rNames.forEach((n, i) => {
      this.bind[n] = at("r", "ro", i);
    });
    wNames.forEach((n, i) => {
      this.bind[n] = at("w", "wo", i);
    });
  }

  /** A function returning one value. */
  value(name: VecFnName, e: Expr): string {
    const { lines, values } = genBody([e], this.bind, this.params);
    return this.wrap(name, [...lines, `  return ${values[0]};`]);
  }

  /** A function storing out[oo + i] = exprs[i]; `symmetric`: a row-major square matrix, upper triangle computed. */
  store(name: VecFnName, exprs: Expr[], symmetric = false): string {
    const n = Math.round(Math.sqrt(exprs.length));
    const upper = (i: number) => !symmetric || Math.floor(i / n) <= i % n;
    const computed = exprs.map((_, i) => i).filter(upper);
    const { lines, values } = genBody(
      computed.map((i) => exprs[i]),
      this.bind,
      this.params,
    );
    const out = (i: number) => (i === 0 ? "out[oo]" : `out[oo + ${i}]`);
    computed.forEach((i, j) => {
      lines.push(`  ${out(i)} = ${values[j]};`);
    });
    for (let i = 0; i < exprs.length; i++)
      if (!upper(i)) lines.push(`  ${out(i)} = ${out((i % n) * n + Math.floor(i / n))};`);
    return this.wrap(name, lines);
  }

  /** loss, gradient and Hessian in one function (VectorFns.lossGradHess). */
  fused(loss: Expr, grad: Expr[], hess: Expr[]): string {
    return genLossGradHess(loss, grad, hess, this.bind, this.params);
  }

  private wrap(name: VecFnName, lines: string[]): string {
    return `(${VEC_ARGS[name].join(", ")}) => {\n${lines.join("\n")}\n}`;
  }
}
