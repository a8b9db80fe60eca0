// The symbolic stage: Model -> Derived. Parses and checks the expressions, composes
// L(r; y) = loss(activation(r), y), applies the stability rewrites, differentiates with our rule table,
// simplifies (bounded), prints text and LaTeX, generates and compiles code, and runs the cross-checks.
// Non-smooth models: derivatives are absolutely continuous parts (d sign = 0) and the steps of l are
// located and sized by model-jumps.ts (Derived.jumps); a loss or pen' that jumps is refused.
import { loadModel, type Sets } from "../model/load.js";
import { isVector } from "../observables/names.js";
import type { Derived, FnName, KinkFn, Model } from "../types.js";
import { UsageError } from "../util/errors.js";
import { dependsOn, type Expr, isNum, size, substitute, toText } from "./ast.js";
import { labelsAreBinary, penaltyChecks, runChecks } from "./checks.js";
import { genLossGradHess, genSource, notScalarSource, unsupportedSource } from "./codegen.js";
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
import { deriveVector } from "./vector.js";

const MAX_SIZE = 20_000;

export { rebuildFns, rebuildJumps, rebuildVectorFns };

export function loadDerived(path: string, sets: Sets = {}): Derived {
  return derive(loadModel(path, sets));
}

export function derive(model: Model): Derived {
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
  const vectorModel = isVector(model.k, model.kTeacher);
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
  let d2lNote: string | undefined;
  if (!vectorModel) {
    forms.loss = stabilize(userLoss);
    forms.label = stabilize(userLabel);
    forms.l = diff(forms.loss, "r", "l = dL/dr", "loss");
    forms.dl = diff(forms.l, "r", "dl = d2L/dr2", "loss");
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
  if (!vectorModel)
    sources.lossGradHess = genLossGradHess(
      forms.loss!,
      [forms.l!],
      [forms.dl!],
      { r: "r[ro]", y: "y" },
      code,
    );
  const fns = rebuildFns(sources, P);
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
  let labelForm: Expr;
  let lossForms: { loss: Expr; grad: Expr[] };
  if (vectorModel) {
    const v = deriveVector({ model, rNames, wNames, activation, userLoss, label: userLabel, diff, code, P });
    Object.assign(sources, v.sources);
    checks = [...v.checks, ...penaltyChecks(penInput)];
    vector = v.vector;
    labelForm = v.label;
    lossForms = v;
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
    labelForm = forms.label!;
    lossForms = { loss: forms.loss!, grad: [forms.l!] };
  }
  const steps = lossJumps({
    ...lossForms,
    rNames,
    label: evaluator(labelForm, [...wNames, "eps"], model.parameters),
    wNames,
    teacherVariance: model.teacherVariance,
    params: model.parameters,
    code,
    where: where("loss"),
  });
  checks.push(...steps.checks);
  if (steps.source) sources.jumps = steps.source;
  const kinks = vectorModel ? undefined : kinkSource([forms.l!, forms.dl!], code);
  if (kinks) {
    sources.kinks = kinks;
    fns.kinks = compileSource(kinks, P) as unknown as KinkFn;
  }
  const vec = rebuildVectorFns(sources, model.k, model.kTeacher, P);
  const fusedBad = fusedMismatches(vec);
  if (fusedBad.length > 0)
    throw new Error(
      `internal: lossGradHess differs from loss, grad, hess at ${fusedBad.slice(0, 3).join("; ")}`,
    );
  checks.push("lossGradHess: bit-identical to loss, grad, hess at 300 points (|r| up to 1e3, +-0)");
  const topSign = (e: Expr): boolean =>
    (e.k === "fn" && e.name === "sign") || (e.k === "neg" && topSign(e.a));
  const signLabels = topSign(labelForm) && labelsAreBinary(vec.label, model.kTeacher, model.teacherVariance);
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
