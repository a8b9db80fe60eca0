// buildDmftSystem: Derived -> DmftSystem. Decides which dynamics and special cases apply to the model,
// substitutes the model's own derivatives into the equations and assembles the document sections, written
// once against a Notation: the scalar one (k = 1) or the matrix one for vector models (Derived.vector present).
import type { Derived, Dynamics } from "../types.js";
import { UsageError } from "../util/errors.js";
import { section } from "./blocks.js";
import { ModelTex } from "./model-tex.js";
import type { Ctx } from "./notation.js";
import { scalarNotation } from "./notation-scalar.js";
import { vectorNotation } from "./notation-vector.js";
import { dmftSection, kernelsSection } from "./text-dmft.js";
import { derivativesSection, modelSection, notationSection, sgfSection, symbolTable } from "./text-model.js";
import { INCREMENTS, schemeSection } from "./text-scheme.js";
import { gradientFlowSection, linearSection, onlineSection, referencesSection } from "./text-special.js";
import type { DmftSystem, Section } from "./types.js";

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
  const n = derived.vector ? vectorNotation(c) : scalarNotation(c);
  const sections: Section[] = [
    notationSection(n),
    modelSection(c, n),
    derivativesSection(c, n),
    sgfSection(c, n),
    dmftSection(c, n),
    kernelsSection(c, n),
    schemeSection(c, n, dynamics),
    section("special", "Special cases", 1, []),
    gradientFlowSection(c, n),
    linearSection(c, n),
    onlineSection(n),
    referencesSection(),
  ];
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
    functions: n.functions,
    ...(derived.vector ? { vector: derived.vector } : {}),
    dynamics,
    increments,
    special: {
      gradientFlow,
      linear: n.linear,
      spectralOracle: n.linear !== null,
      online: n.online,
      sgdLimitEqualsSgf: n.sgdLimitEqualsSgf,
      binaryLabels: derived.binaryLabels,
    },
    // The one classification `solve` uses too (Derived.linear; issue 20), tilted penalties included.
    defaultSolver: derived.linear ? "exact-linear" : "mc",
    kernels: n.kernels,
    observables: n.observables.list,
    symbols: symbolTable(n),
    sections,
  };
}
