// The symbolic stage: Model -> Derived. Parses and checks the expressions, composes
// L(r; y) = loss(activation(r), y), applies the stability rewrites, differentiates with our rule table,
// simplifies (bounded), prints text and LaTeX, generates and compiles code, and runs the cross-checks.
// One derivation for every k (vector.ts; k = 1 is the 1 x 1 case): a k = 1 model's scalar functions
// (loss, l, dl, label; the specialisation the hot loops and the k = 1 checks use) are the 1 x 1 entries of
// the same trees, plus d2l = d3L/dr3 and the kinks, which only k = 1 has.
// Non-smooth models: derivatives are absolutely continuous parts (d sign = 0) and the steps of l are
// located and sized by model-jumps.ts (Derived.jumps); a loss or pen' that jumps is refused.
import { loadModel, type Sets } from "../model/load.js";
import { isVector } from "../observables/names.js";
import type { Derived, FnName, Model } from "../types.js";
import { UsageError } from "../util/errors.js";
import { dependsOn, type Expr, isNum, size, substitute, toText } from "./ast.js";
import { labelsAreBinary, penaltyChecks, runChecks } from "./checks.js";
import { genSource, notScalarSource, unsupportedSource } from "./codegen.js";
import {
  compileSource,
  FN_ARGS,
  FN_NAMES,
  fusedMismatches,
  rebuildFns,
  rebuildJumps,
  rebuildVectorFns,
} from "./compile.js";
import { acDerivative, DeltaError, derivative } from "./derivative.js";
import { evaluator, signNodes } from "./jumps.js";
import { LATEX_LHS } from "./latex.js";
import { kinkSource, lossJumps, penaltySteps } from "./model-jumps.js";
import { familyNames, parseExpr } from "./parse.js";
import { stabilize } from "./rewrite.js";
import { scheduleSet } from "./schedule.js";
import { simplify } from "./simplify.js";
import { checkLatex, typeset } from "./typeset.js";
import { deriveVector, vectorChecks, vectorForms } from "./vector.js";

const MAX_SIZE = 20_000;

export { rebuildFns, rebuildJumps, rebuildVectorFns };

export function loadDerived(path: string, sets: Sets = {}): Derived {
  return derive(loadModel(path, sets));
}

export interface DeriveOptions {
  /**
   * Derive a k = 1 model as a 1 x 1 vector model, the way k > 1 models go: vector checks and forms
   * (Derived.vector), scalar loss-side functions that throw, no closed (linear) equations. The solvers and
   * simulators then read only the vector functions; test/k1-paths.test.ts proves both ways solve alike.
   */
  asVector?: boolean;
}

export function derive(model: Model, opts: DeriveOptions = {}): Derived {
  const params = Object.keys(model.parameters);
  const where = (key: string) => `${model.source}:${model.lines[key] ?? 1}: ${key}`;
  const rNames = familyNames("r", model.k);
  const wNames = familyNames("wstar", model.kTeacher);
  const parse = (
    key: "activation" | "loss" | "label" | "penalty",
    vars: string[],
    families: Record<string, string[]> = {},
  ) => parseExpr(model[key], { where: where(key), vars, params, families });
  // k > 1 without an activation: the loss is written in r1..rk directly (no yhat, no test error).
  const activation = model.activation === "" ? undefined : parse("activation", rNames, { r: rNames });
  const loss = parse("loss", [...(activation ? ["yhat"] : []), ...rNames, "y"], { r: rNames });
  const label = parse("label", [...wNames, "eps"], { wstar: wNames });
  const penalty = parse("penalty", ["theta"]);
  const vectorModel = isVector(model.k, model.kTeacher) || opts.asVector === true;
  // Scheduled parameters: read as P[i] by the generated code (codegen.ts ParamCode), P = schedule.slots.
  const schedule = model.schedules
    ? {
        ...scheduleSet(model.schedules, model.parameters, where("parameters")),
        slots: new Float64Array(0),
        inLoss: [] as string[],
      }
    : undefined;
  const code: Record<string, number | string> = { ...model.parameters };
  if (schedule) {
    schedule.slots = Float64Array.from(schedule.names, (n) => model.parameters[n]);
    schedule.names.forEach((n, i) => {
      if (dependsOn(label, n))
        throw new UsageError(
          `${where("parameters")}: ${n} is a parameter of the label and cannot be a schedule: the labels are drawn once with the data, only the training may change over time`,
        );
      code[n] = `P[${i}]`;
    });
  }
  const P = schedule?.slots;
  const userLoss = activation ? substitute(loss, "yhat", activation) : loss;
  if (schedule) schedule.inLoss = schedule.names.filter((n) => dependsOn(userLoss, n));

  // The model's own forms (user's term order) are what gets displayed for loss, label and penalty.
  const userPen = penalty;
  const userLabel = label;
  const forms: Partial<Record<FnName, Expr>> = { pen: stabilize(userPen) };
  // Absolutely continuous parts: the steps they drop are found and sized below (lossJumps, penaltySteps).
  const diff = (e: Expr, x: string, what: string, key: string): Expr => {
    const d = stabilize(acDerivative(e, x));
    if (size(d, MAX_SIZE) > MAX_SIZE)
      throw new UsageError(
        `${where(key)}: ${what.split(" ")[0]} is too large after simplification (over ${MAX_SIZE} nodes); simplify the model`,
      );
    return d;
  };
  const vInput = { model, rNames, wNames, activation, userLoss, label: userLabel, diff, code, P };
  const v = deriveVector(vInput);
  let d2lNote: string | undefined;
  if (!vectorModel) {
    forms.loss = v.loss;
    forms.label = v.label;
    forms.l = v.grad[0];
    forms.dl = v.hess[0];
    try {
      // Where l jumps, d3L/dr3 of the ac part means little (and no solver needs it): a note instead.
      if (signNodes(forms.l, "r").size > 0) throw new DeltaError(`${toText(forms.l)} (l jumps, see jumps)`);
      forms.d2l = stabilize(derivative(forms.dl, "r"));
      if (size(forms.d2l, MAX_SIZE) > MAX_SIZE) {
        forms.d2l = undefined;
        d2lNote = `unsupported: d3L/dr3 has over ${MAX_SIZE} nodes after simplification`;
      }
    } catch (err) {
      if (!(err instanceof DeltaError)) throw err;
      d2lNote = `unsupported: ${err.message}`;
    }
  }
  forms.h = diff(forms.pen!, "theta", "h = dpen/dtheta", "penalty");
  forms.dh = diff(forms.h, "theta", "dh = d2pen/dtheta2", "penalty");
  penaltySteps(forms.pen!, forms.h, model.parameters, where("penalty"));

  // Vector models: the scalar loss-side functions throw when called and point to the vector forms.
  const vecNote = `vector model (k = ${model.k}, k_teacher = ${model.kTeacher}): see the gradient and Hessian`;
  const vecNoteTex =
    `\\text{vector model (}k = ${model.k},\\ k^{*} = ${model.kTeacher}` +
    "\\text{): see the gradient } \\nabla_r L \\text{ and Hessian } \\nabla_r^2 L";
  if (vectorModel) checkLatex(vecNoteTex, "the vector-model note");
  const display: Record<FnName, Expr | undefined> = {
    ...(forms as Record<FnName, Expr | undefined>),
    loss: userLoss,
    label: userLabel,
    pen: userPen,
  };
  const text = {} as Record<FnName, string>;
  const latex = {} as Record<FnName, string>;
  const sources = {} as Derived["sources"];
  for (const name of FN_NAMES) {
    const e = forms[name];
    const shown = display[name];
    const scalarOnly = vectorModel && SCALAR_LOSS_SIDE.includes(name);
    text[name] = shown ? toText(shown) : scalarOnly ? vecNote : (d2lNote ?? "unsupported");
    latex[name] = !shown && scalarOnly ? vecNoteTex : typeset(LATEX_LHS[name], shown, name);
    sources[name] = e
      ? genSource(e, FN_ARGS[name], code)
      : scalarOnly
        ? notScalarSource(name, FN_ARGS[name])
        : unsupportedSource(name, FN_ARGS[name]);
  }
  Object.assign(sources, v.sources);
  // The kinks of l and dl in r (k = 1, affine), for quadrature split at them.
  const kinks = rNames.length === 1 ? kinkSource([v.grad[0], v.hess[0]], code) : undefined;
  if (kinks) sources.kinks = kinks;
  const fns = rebuildFns(sources, P);
  const vec = rebuildVectorFns(sources, model.k, model.kTeacher, P);
  const userForm = (e: Expr, args: string[]) => compileSource(genSource(e, args, code), P);
  const penInput = {
    fns,
    userForms: { pen: userForm(userPen, FN_ARGS.pen) },
    penText: toText(userPen),
    parameters: model.parameters,
    source: model.source,
  };
  let checks: string[];
  let vector: Derived["vector"];
  if (vectorModel) {
    const shown = vectorForms(vInput, v);
    checks = [...vectorChecks(vInput, v, vec), shown.check, ...penaltyChecks(penInput)];
    vector = shown.vector;
  } else {
    checks = runChecks({
      ...penInput,
      available: new Set(FN_NAMES.filter((n) => forms[n] !== undefined)),
      userForms: {
        loss: userForm(userLoss, FN_ARGS.loss),
        label: userForm(userLabel, FN_ARGS.label),
        pen: penInput.userForms.pen,
      },
      lossText: toText(userLoss),
      teacherVariance: model.teacherVariance,
    });
  }
  const steps = lossJumps({
    loss: v.loss,
    grad: v.grad,
    rNames,
    label: evaluator(v.label, [...wNames, "eps"], model.parameters),
    wNames,
    teacherVariance: model.teacherVariance,
    params: model.parameters,
    code,
    where: where("loss"),
  });
  checks.push(...steps.checks);
  // The k = 1 jump source feeds the branching estimator, which reads the scalar l (not asVector).
  if (steps.source && !vectorModel) sources.jumps = steps.source;
  const fusedBad = fusedMismatches(vec);
  if (fusedBad.length > 0)
    throw new Error(
      `internal: lossGradHess differs from loss, grad, hess at ${fusedBad.slice(0, 3).join("; ")}`,
    );
  checks.push("lossGradHess: bit-identical to loss, grad, hess at 300 points (|r| up to 1e3, +-0)");
  const topSign = (e: Expr): boolean =>
    (e.k === "fn" && e.name === "sign") || (e.k === "neg" && topSign(e.a));
  const signLabels = topSign(v.label) && labelsAreBinary(vec.label, model.kTeacher, model.teacherVariance);
  const binaryLabels = signLabels && activation !== undefined;
  if (binaryLabels) checks.push("label: top-level sign(...), values in {-1, +1} at 2000 points");
  else if (signLabels)
    checks.push(
      "note: labels are +-1 but the model has no activation (no scalar prediction yhat): test error skipped",
    );
  // The closed exact solver is k = 1 only.
  // The one classification the solvers and the DMFT document use (issue 20): closed equations apply.
  const linear =
    !vectorModel &&
    steps.jumps.length === 0 &&
    forms.d2l !== undefined &&
    isNum(forms.d2l, 0) &&
    isConstant(forms.dh, "theta") &&
    !schedule?.inLoss.length;
  if (linear)
    checks.push(
      "linear: d3L/dr3 = 0 and pen'' constant (symbolic; a tilt h(0) != 0 is allowed), no scheduled loss parameter",
    );
  checks.push(`LaTeX of all ${FN_NAMES.length} functions parses with KaTeX`);
  const jumps = steps.jumps;
  return {
    model,
    text,
    latex,
    sources,
    fns,
    vec,
    vector,
    binaryLabels,
    linear,
    checks,
    jumps,
    ...(schedule ? { schedule } : {}),
  };
}

/** Scalar functions that a vector model does not have (they depend on r or wstar). */
const SCALAR_LOSS_SIDE: FnName[] = ["loss", "l", "dl", "d2l", "label"];

function isConstant(e: Expr, x: string): boolean {
  try {
    return isNum(simplify(derivative(e, x)), 0);
  } catch {
    return false;
  }
}
