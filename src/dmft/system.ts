// buildDmftSystem: Derived -> DmftSystem. Decides which dynamics and special cases apply to the model,
// substitutes the model's own derivatives into the equations and assembles the document sections.
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
import type { DmftSystem, LinearCase, Section } from "./types.js";

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

export function buildDmftSystem(derived: Derived): DmftSystem {
  const m = derived.model;
  if (m.k !== 1)
    throw new UsageError(`${m.source}: the DMFT system is written out for k = 1 only (model has k = ${m.k})`);
  const { delta, tau } = m.parameters;
  const c: Ctx = {
    derived,
    mt: new ModelTex(derived),
    delta,
    tau,
    rhoStar: m.teacherVariance,
    s0: m.initStd,
    ridge: null,
  };
  c.ridge = c.mt.ridge();
  const gradientFlow = tau === 0;
  const dynamics: Dynamics[] = gradientFlow ? ["gd", "online"] : ["sgf", "gd", "sgd-limit", "sgd", "online"];
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
  const functions = {} as DmftSystem["functions"];
  for (const f of FNS) functions[f] = { text: derived.text[f], latex: derived.latex[f] };
  const increments: DmftSystem["increments"] = {};
  for (const d of dynamics) if (INCREMENTS[d]) increments[d] = INCREMENTS[d];
  return {
    model: {
      name: m.name,
      description: m.description,
      k: m.k,
      parameters: { ...m.parameters },
      delta,
      tau,
      rhoStar: m.teacherVariance,
      initStd: m.initStd,
      time: { ...m.time },
    },
    functions,
    dynamics,
    increments,
    special: {
      gradientFlow,
      linear,
      spectralOracle: linear !== null,
      online,
      sgdLimitEqualsSgf: linear !== null,
      binaryLabels: derived.binaryLabels,
    },
    defaultSolver: linear ? "exact-linear" : "mc",
    kernels: KERNELS,
    observables: obs.map((o) => ({ name: o.name, tex: `${o.lhs} = ${o.rhs}` })),
    symbols: SYMBOLS,
    sections,
  };
}
