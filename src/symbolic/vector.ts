// Vector models (k > 1 or k_teacher > 1): L(r1..rk; y) composed through the activation, its gradient
// l_a = dL/dr_a and Hessian H_ab = d2L/dr_a dr_b by our rule table, the vector sources (vloss, vgrad, vhess,
// vlabel, vpredict, and the fused lossGradHess) generated from the checked trees, their text and LaTeX
// (Derived.vector), and the checks.
// The Hessian is derived in both orders: H_ab (a <= b) is compiled and mirrored, so vhess is exactly
// symmetric, and d(l_b)/dr_a is compiled only to check the symmetry numerically.
import type { FusedFnName, Model, VecFnName, VectorForms, VectorFormTexts } from "../types.js";
import { type Expr, sym, toText } from "./ast.js";
import { genBody, genLossGradHess, type ParamCode } from "./codegen.js";
import { compileSource, rebuildVectorFns, VEC_ARGS } from "./compile.js";
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
  vector: VectorForms;
  sources: Record<VecFnName | FusedFnName, string>;
  /** The stabilised label, for the binary-label test (top-level sign). */
  label: Expr;
  /** The stabilised loss and its gradient (absolutely continuous part), for the jump analysis. */
  loss: Expr;
  grad: Expr[];
  checks: string[];
}

export function deriveVector(input: VectorInput): VectorDerivation {
  const { model, rNames, wNames, diff } = input;
  const k = rNames.length;
  const loss = stabilize(input.userLoss);
  const label = stabilize(input.label);
  const predict = input.activation ? stabilize(input.activation) : undefined;
  const grad = rNames.map((ra, a) => diff(loss, ra, `l_${a + 1} = dL/d${ra}`, "loss"));
  const hess: Expr[] = [];
  const hessSwapped: Expr[] = [];
  for (let a = 0; a < k; a++)
    for (let b = 0; b < k; b++) {
      const what = (i: number, j: number) => `H_${i + 1}${j + 1} = d2L/d${rNames[i]}d${rNames[j]}`;
      hess.push(a <= b ? diff(grad[a], rNames[b], what(a, b), "loss") : hess[b * k + a]);
      hessSwapped.push(a >= b ? hess[a * k + b] : diff(grad[b], rNames[a], what(b, a), "loss"));
    }

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
  const vec = rebuildVectorFns(sources, k, wNames.length, input.P);
  const checks = runVectorChecks({
    vec,
    userLoss: compileSource(src.value("vloss", input.userLoss), input.P) as unknown as typeof vec.loss,
    hessSwapped: compileSource(src.store("vhess", hessSwapped), input.P) as unknown as typeof vec.hess,
    lossText: toText(input.userLoss),
    rNames,
    hasPredict: predict !== undefined,
    parameters: model.parameters,
    teacherVariance: model.teacherVariance,
    source: model.source,
  });

  // Display: the model's own loss, label and activation; derivatives in their compiled form.
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
  checks.push(`LaTeX of L, yhat, ${k} gradient and ${k * k} Hessian entries and the label parses with KaTeX`);
  return { vector: { rNames, wstarNames: wNames, text, latex }, sources, label, loss, grad, checks };
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
