// buildDmftSystem: Derived -> DmftSystem. Decides which dynamics and special cases apply to the model,
// substitutes the model's own derivatives into the equations and assembles the document sections: the
// scalar system (k = 1) or its matrix version for vector models (Derived.vector present).
import type { Derived, Dynamics, FnName, ObservableName } from "../types.js";
import { UsageError } from "../util/errors.js";
import { ModelTex } from "./model-tex.js";
import { dmftSection, KERNELS, kernelsSection } from "./text-dmft.js";
import {
  type Ctx,
  derivativesSection,
  modelSection,
  notationSection,
  SYMBOLS,
  sgfSection,
} from "./text-model.js";
import { INCREMENTS, schemeSection } from "./text-scheme.js";
import {
  gradientFlowSection,
  linearSection,
  onlineCase,
  onlineSection,
  referencesSection,
} from "./text-special.js";
import {
  type VCtx,
  VECTOR_SYMBOLS,
  vectorDerivativesSection,
  vectorModelSection,
  vectorNotationSection,
  vectorSgfSection,
} from "./text-vector.js";
import {
  VECTOR_KERNELS,
  vectorDmftSection,
  vectorKernelsSection,
  vectorObservables,
  vectorSchemeSection,
} from "./text-vector-dmft.js";
import { vectorLinearSection, vectorOnlineCase, vectorOnlineSection } from "./text-vector-special.js";
import type { DmftSystem, KernelSpec, LinearCase, OnlineCase, Section } from "./types.js";
import { VectorTex } from "./vector-tex.js";

const E = "\\mathbb{E}";
const FNS: FnName[] = ["loss", "l", "dl", "d2l", "label", "pen", "h", "dh"];

interface Obs {
  name: ObservableName;
  lhs: string;
  rhs: string;
}

function observables(c: Ctx): Obs[] {
  const pair =
    "(g, g^*) \\sim \\mathcal{N}\\Big(0, \\begin{pmatrix} q(t) & m(t) \\\\ m(t) & \\rho^* \\end{pmatrix}\\Big)";
  const out: Obs[] = [
    {
      name: "train_loss",
      lhs: "\\mathcal{L}_{\\mathrm{train}}(t)",
      rhs: `${E}\\,L(r^t; y)`,
    },
    { name: "q", lhs: "q(t)", rhs: "C_\\theta(t,t)" },
    { name: "m", lhs: "m(t)", rhs: `${E}[\\theta^t\\theta^*]` },
    {
      name: "test_loss",
      lhs: "\\mathcal{L}_{\\mathrm{test}}(t)",
      rhs: `${E}\\,L\\big(g; \\varphi(g^*, \\varepsilon)\\big), \\qquad ${pair}`,
    },
  ];
  if (c.derived.binaryLabels)
    out.push({
      name: "test_error",
      lhs: "\\mathcal{E}_{\\mathrm{test}}(t)",
      rhs: "\\mathbb{P}\\big(\\operatorname{sign}(g) \\ne \\varphi(g^*, \\varepsilon)\\big)",
    });
  return out;
}

function linearCase(c: Ctx): LinearCase | null {
  if (!c.derived.linear || c.ridge === null) return null;
  return { a: c.derived.fns.dl(0, 0), aTex: c.derived.latex.dl, bTex: c.mt.lAtZero(), lambda: c.ridge };
}

interface Parts {
  sections: Section[];
  observables: { name: ObservableName; tex: string }[];
  kernels: KernelSpec[];
  symbols: DmftSystem["symbols"];
  linear: LinearCase | null;
  online: OnlineCase;
  sgdLimitEqualsSgf: boolean;
  functions: DmftSystem["functions"];
}

function functionsOf(derived: Derived, names: FnName[]): DmftSystem["functions"] {
  const out: DmftSystem["functions"] = {};
  for (const f of names) out[f] = { text: derived.text[f], latex: derived.latex[f] };
  return out;
}

/** k = kTeacher = 1: the scalar system of theory note §3–5. */
function scalarParts(c: Ctx, dynamics: Dynamics[]): Parts {
  const linear = linearCase(c);
  const online = onlineCase(c);
  const obs = observables(c);
  const sections: Section[] = [
    notationSection(),
    modelSection(c),
    derivativesSection(c),
    sgfSection(c),
    dmftSection(
      c,
      obs.map((o, i) => `${o.lhs} &= ${o.rhs}${i < obs.length - 1 ? "," : "."}`),
    ),
    kernelsSection(c),
    schemeSection(c, dynamics),
    { id: "special", title: "Special cases", level: 1, blocks: [] },
    gradientFlowSection(c),
    linearSection(c, linear),
    onlineSection(c, online, linear),
    referencesSection(),
  ];
  return {
    sections,
    observables: obs.map((o) => ({ name: o.name, tex: `${o.lhs} = ${o.rhs}` })),
    kernels: KERNELS,
    symbols: SYMBOLS,
    linear,
    online,
    sgdLimitEqualsSgf: linear !== null,
    functions: functionsOf(c.derived, FNS),
  };
}

/** k > 1 or kTeacher > 1: the matrix system of theory note §6. */
function vectorParts(c: Ctx, dynamics: Dynamics[]): Parts {
  const v: VCtx = { ...c, vt: new VectorTex(c.derived, c.mt) };
  const online = vectorOnlineCase(v);
  const obs = vectorObservables(v);
  const sections: Section[] = [
    vectorNotationSection(),
    vectorModelSection(v),
    vectorDerivativesSection(v),
    vectorSgfSection(v),
    vectorDmftSection(v, obs.lines),
    vectorKernelsSection(v),
    vectorSchemeSection(v, dynamics),
    { id: "special", title: "Special cases", level: 1, blocks: [] },
    gradientFlowSection(v, true),
    vectorLinearSection(),
    vectorOnlineSection(v, online),
    referencesSection(),
  ];
  const vf = v.vt.forms;
  const functions = functionsOf(c.derived, ["pen", "h", "dh"]);
  functions.loss = { text: vf.text.loss, latex: vf.latex.loss };
  functions.label = { text: vf.text.label, latex: vf.latex.label };
  return {
    sections,
    observables: obs.list,
    kernels: VECTOR_KERNELS,
    symbols: VECTOR_SYMBOLS,
    linear: null,
    online,
    sgdLimitEqualsSgf: v.vt.hessianConstant(),
    functions,
  };
}

export function buildDmftSystem(derived: Derived): DmftSystem {
  const m = derived.model;
  if (!derived.vector && (m.k !== 1 || m.kTeacher !== 1))
    throw new UsageError(
      `${m.source}: k = ${m.k}, k_teacher = ${m.kTeacher} but the symbolic stage produced no vector forms`,
    );
  const { delta, tau } = m.parameters;
  const c: Ctx = {
    derived,
    mt: new ModelTex(derived),
    delta,
    tau,
    rhoStar: m.teacherVariance,
    s0: m.initStd,
    m0: m.initOverlap,
    ridge: null,
  };
  c.ridge = c.mt.ridge();
  const gradientFlow = tau === 0;
  const dynamics: Dynamics[] = gradientFlow ? ["gd", "online"] : ["sgf", "gd", "sgd-limit", "sgd", "online"];
  const parts = derived.vector ? vectorParts(c, dynamics) : scalarParts(c, dynamics);
  const increments: DmftSystem["increments"] = {};
  for (const d of dynamics) if (INCREMENTS[d]) increments[d] = INCREMENTS[d];
  return {
    model: {
      name: m.name,
      description: m.description,
      k: m.k,
      kTeacher: m.kTeacher,
      parameters: { ...m.parameters },
      ...(m.schedules ? { schedules: { ...m.schedules } } : {}),
      delta,
      tau,
      rhoStar: m.teacherVariance,
      initStd: m.initStd,
      initOverlap: m.initOverlap,
      time: { ...m.time },
    },
    functions: parts.functions,
    ...(derived.vector ? { vector: derived.vector } : {}),
    dynamics,
    increments,
    special: {
      gradientFlow,
      linear: parts.linear,
      spectralOracle: parts.linear !== null,
      online: parts.online,
      sgdLimitEqualsSgf: parts.sgdLimitEqualsSgf,
      binaryLabels: derived.binaryLabels,
    },
    // The one classification `solve` uses too (Derived.linear; issue 20), tilted penalties included.
    defaultSolver: derived.linear ? "exact-linear" : "mc",
    kernels: parts.kernels,
    observables: parts.observables,
    symbols: parts.symbols,
    sections: parts.sections,
  };
}
