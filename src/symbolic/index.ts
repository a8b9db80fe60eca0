// The symbolic stage: Model -> Derived. Parses and checks the expressions, composes
// L(r; y) = loss(activation(r), y), applies the stability rewrites, differentiates with our rule table,
// simplifies (bounded), prints text and LaTeX, generates and compiles code, and runs the cross-checks.
import katex from "katex";
import { loadModel } from "../model/load.js";
import type { Derived, FnName, Model } from "../types.js";
import { UsageError } from "../util/errors.js";
import { type Expr, isNum, size, substitute, toText } from "./ast.js";
import { labelsAreBinary, runChecks } from "./checks.js";
import { genSource, unsupportedSource } from "./codegen.js";
import { compileSource, FN_ARGS, FN_NAMES, rebuildFns, rebuildVectorFns } from "./compile.js";
import { DeltaError, derivative } from "./derivative.js";
import { LATEX_LHS, toLatex } from "./latex.js";
import { parseExpr } from "./parse.js";
import { stabilize } from "./rewrite.js";
import { simplify } from "./simplify.js";

const MAX_SIZE = 20_000;
const MAX_LATEX = 10_000;

export { rebuildFns, rebuildVectorFns };

export function loadDerived(path: string, sets: Record<string, number> = {}): Derived {
  return derive(loadModel(path, sets));
}

export function derive(model: Model): Derived {
  const params = Object.keys(model.parameters);
  const where = (key: string) => `${model.source}:${model.lines[key] ?? 1}: ${key}`;
  const parse = (key: "activation" | "loss" | "label" | "penalty", vars: string[]) =>
    parseExpr(model[key], { where: where(key), vars, params });
  const activation = parse("activation", ["r"]);
  const loss = parse("loss", ["yhat", "r", "y"]);
  const label = parse("label", ["wstar", "eps"]);
  const penalty = parse("penalty", ["theta"]);

  // The model's own forms (user's term order) are what gets displayed for loss, label and penalty.
  const userLoss = substitute(loss, "yhat", activation);
  const userPen = penalty;
  const userLabel = label;
  const forms: Partial<Record<FnName, Expr>> = {
    loss: stabilize(userLoss),
    label: stabilize(userLabel),
    pen: stabilize(userPen),
  };
  const diff = (e: Expr, x: string, name: FnName, what: string, key: string): Expr => {
    let d: Expr;
    try {
      d = stabilize(derivative(e, x));
    } catch (err) {
      if (err instanceof DeltaError)
        throw new UsageError(`${where(key)}: ${what} is unsupported: ${err.message} (see docs/models.md)`);
      throw err;
    }
    if (size(d, MAX_SIZE) > MAX_SIZE)
      throw new UsageError(
        `${where(key)}: ${name} is too large after simplification (over ${MAX_SIZE} nodes); simplify the model`,
      );
    return d;
  };
  forms.l = diff(forms.loss!, "r", "l", "l = dL/dr", "loss");
  forms.dl = diff(forms.l, "r", "dl", "dl = d2L/dr2", "loss");
  let d2lNote: string | undefined;
  try {
    forms.d2l = stabilize(derivative(forms.dl, "r"));
    if (size(forms.d2l, MAX_SIZE) > MAX_SIZE) {
      forms.d2l = undefined;
      d2lNote = `unsupported: d3L/dr3 has over ${MAX_SIZE} nodes after simplification`;
    }
  } catch (err) {
    if (!(err instanceof DeltaError)) throw err;
    d2lNote = `unsupported: ${err.message}`;
  }
  forms.h = diff(forms.pen!, "theta", "h", "h = dpen/dtheta", "penalty");
  forms.dh = diff(forms.h, "theta", "dh", "dh = d2pen/dtheta2", "penalty");

  const display: Record<FnName, Expr | undefined> = {
    ...(forms as Record<FnName, Expr | undefined>),
    loss: userLoss,
    label: userLabel,
    pen: userPen,
  };
  const text = {} as Record<FnName, string>;
  const latex = {} as Record<FnName, string>;
  const sources = {} as Record<FnName, string>;
  for (const name of FN_NAMES) {
    const e = forms[name];
    const shown = display[name];
    text[name] = shown ? toText(shown) : (d2lNote ?? "unsupported");
    latex[name] = shown ? toLatex(shown) : "\\text{unsupported}";
    // Typesetting a page-long formula helps nobody and costs seconds of KaTeX time.
    if (latex[name].length > MAX_LATEX)
      latex[name] = `\\text{(too long to typeset: ${text[name].length} characters)}`;
    checkLatex(`${LATEX_LHS[name]} = ${latex[name]}`, name);
    sources[name] = e
      ? genSource(e, FN_ARGS[name], model.parameters)
      : unsupportedSource(name, FN_ARGS[name]);
  }
  const fns = rebuildFns(sources);
  const available = new Set(FN_NAMES.filter((n) => forms[n] !== undefined));
  const userForm = (e: Expr, args: string[]) => compileSource(genSource(e, args, model.parameters));
  const checks = runChecks({
    fns,
    available,
    userForms: {
      loss: userForm(userLoss, FN_ARGS.loss),
      label: userForm(userLabel, FN_ARGS.label),
      pen: userForm(userPen, FN_ARGS.pen),
    },
    lossText: toText(userLoss),
    penText: toText(userPen),
    parameters: model.parameters,
    teacherVariance: model.teacherVariance,
    source: model.source,
  });
  const topSign = (e: Expr): boolean =>
    (e.k === "fn" && e.name === "sign") || (e.k === "neg" && topSign(e.a));
  const binaryLabels = topSign(forms.label!) && labelsAreBinary(fns.label, model.teacherVariance);
  if (binaryLabels) checks.push("label: top-level sign(...), values in {-1, +1} at 2000 points");
  const linear = forms.d2l !== undefined && isNum(forms.d2l, 0) && isConstant(forms.dh, "theta");
  if (linear) checks.push("linear: d3L/dr3 = 0 and pen'' constant (symbolic)");
  checks.push(`LaTeX of all ${FN_NAMES.length} functions parses with KaTeX`);
  const vec = rebuildVectorFns(sources, model.k, model.kTeacher);
  return { model, text, latex, sources, fns, vec, binaryLabels, linear, checks };
}

function isConstant(e: Expr, x: string): boolean {
  try {
    return isNum(simplify(derivative(e, x)), 0);
  } catch {
    return false;
  }
}

function checkLatex(tex: string, name: FnName): void {
  try {
    katex.renderToString(tex, { throwOnError: true });
  } catch (err) {
    throw new Error(`internal: LaTeX of ${name} does not parse with KaTeX: ${(err as Error).message}`);
  }
}
