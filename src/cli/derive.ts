// `dmftkit derive MODEL [--set k=v] [--json FILE]`: load and derive a model, print its expressions,
// derivatives (text and LaTeX) and the checks that ran; optionally write them as JSON.
// Output formats are separate functions so further writers (--latex, --html) are one option + one call.
import type { Command } from "commander";
import { LATEX_LHS } from "../symbolic/latex.js";
import type { Derived, FnName } from "../types.js";
import { UsageError } from "../util/errors.js";
import { addCommonOptions, commonOf, writeText } from "./common.js";
import { checkOutput } from "./output.js";

const LABELS: Record<FnName, string> = {
  loss: "L(r; y)",
  l: "l = dL/dr",
  dl: "dl = d2L/dr2",
  d2l: "d2l = d3L/dr3",
  label: "y = phi(wstar, eps)",
  pen: "pen(theta)",
  h: "h = pen'",
  dh: "dh = pen''",
};
const ORDER: FnName[] = ["loss", "l", "dl", "d2l", "label", "pen", "h", "dh"];
const PENALTY: FnName[] = ["pen", "h", "dh"];

/** One function: its text, then its LaTeX on the next line. */
function entry(label: string, text: string, lhs: string, latex: string): string[] {
  return [`${label.padEnd(20)} = ${text}`, `${"".padEnd(20)}   LaTeX: ${lhs} = ${latex}`];
}

/** Vector models: prediction, loss, gradient entries, Hessian entries (a <= b; H is symmetric), label. */
function vectorLines(d: Derived): string[] {
  const v = d.vector!;
  const k = d.model.k;
  const r = v.rNames;
  const out = [
    ...entry(`yhat(${r.join(", ")})`, v.text.predict, "\\hat{y}(r)", v.latex.predict),
    ...entry("L(r; y)", v.text.loss, "L(r; y)", v.latex.loss),
  ];
  v.text.grad.forEach((g, a) => {
    out.push(...entry(`l_${a + 1} = dL/d${r[a]}`, g, `\\ell_{${a + 1}}`, v.latex.grad[a]));
  });
  for (let a = 0; a < k; a++)
    for (let b = a; b < k; b++) {
      const sym = a < b ? ` = H_${b + 1}${a + 1}` : "";
      const label = `H_${a + 1}${b + 1}${sym} = d2L/d${r[a]}d${r[b]}`;
      const lhs = `H_{${a + 1}${b + 1}}${a < b ? ` = H_{${b + 1}${a + 1}}` : ""}`;
      out.push(...entry(label, v.text.hess[a * k + b], lhs, v.latex.hess[a * k + b]));
    }
  out.push(...entry(`y = phi(${v.wstarNames.join(", ")}, eps)`, v.text.label, "y", v.latex.label));
  return out;
}

/** The steps of l = dL/dr (non-smooth models): l_a = l_ac + sum_j J_j H(r_a - c_j). */
function jumpLines(d: Derived): string[] {
  const jumps = d.jumps ?? [];
  if (jumps.length === 0) return [];
  const r = d.vector?.rNames ?? ["r"];
  const out = [
    "",
    `jumps of l (dl${d.vector ? ", H" : ""} above is the absolutely continuous part; l = l_ac + sum_j J_j H(r - c_j)):`,
  ];
  for (const j of jumps) {
    const l = d.vector ? `l_${j.unit + 1}` : "l";
    out.push(`  ${l} jumps at ${r[j.unit]} = ${j.loc} by J = ${j.size}`);
    out.push(`${"".padEnd(20)}   LaTeX: c = ${j.latex.loc},\\quad J = ${j.latex.size}`);
  }
  return out;
}

/** The human-readable summary printed by `derive`. */
export function formatDerived(d: Derived): string {
  const m = d.model;
  const params = Object.entries(m.parameters)
    .map(([k, v]) => (m.schedules?.[k] ? `${k}(t) = ${m.schedules[k]}` : `${k} = ${v}`))
    .join(", ");
  const out = [
    `model       ${m.name}: ${m.description} (${m.source})`,
    ...(d.vector ? [`width       k = ${m.k} student units, k_teacher = ${m.kTeacher} teacher units`] : []),
    `parameters  ${params}`,
    `time        T = ${m.time.T}, dt = ${m.time.dt}; init_std = ${m.initStd}${m.initOverlap === 0 ? "" : `, init_overlap = ${m.initOverlap}`}, teacher_variance = ${m.teacherVariance}`,
    `activation  yhat = ${m.activation || "none (the loss is written in r1..rk)"}; loss = ${m.loss}`,
    `properties  binary labels: ${d.binaryLabels ? "yes" : "no"}; linear (closed equations): ${d.linear ? "yes" : "no"}`,
    "",
  ];
  if (d.vector) out.push(...vectorLines(d));
  // Vector models: the penalty acts entry-wise on theta, so pen, h, dh stay scalar functions.
  for (const name of d.vector ? PENALTY : ORDER)
    out.push(...entry(LABELS[name], d.text[name], LATEX_LHS[name], d.latex[name]));
  out.push(...jumpLines(d));
  out.push("", "checks:", ...d.checks.map((c) => `  ok  ${c}`));
  return `${out.join("\n")}\n`;
}

/** The `--json` document. */
export function derivedJson(d: Derived): Record<string, unknown> {
  const { source, lines, ...model } = d.model;
  const common = { binaryLabels: d.binaryLabels, linear: d.linear, checks: d.checks };
  const jumps = d.jumps ?? [];
  if (d.vector) {
    const { text, latex } = d.vector;
    return {
      model: { ...model, source },
      variables: { r: d.vector.rNames, wstar: d.vector.wstarNames },
      expressions: { loss: text.loss, predict: text.predict, label: text.label, pen: d.text.pen },
      derivatives: { grad: text.grad, hess: text.hess, h: d.text.h, dh: d.text.dh, jumps },
      latex: { ...latex, pen: d.latex.pen, h: d.latex.h, dh: d.latex.dh },
      ...common,
    };
  }
  return {
    model: { ...model, source },
    expressions: { loss: d.text.loss, label: d.text.label, pen: d.text.pen },
    derivatives: { l: d.text.l, dl: d.text.dl, d2l: d.text.d2l, h: d.text.h, dh: d.text.dh, jumps },
    latex: d.latex,
    ...common,
  };
}

export function registerDerive(program: Command): void {
  addCommonOptions(
    program
      .command("derive")
      .argument("<model>", "model file (YAML)")
      .description("derive the model's derivatives, check them, print them (text and LaTeX), write JSON"),
    "write the JSON document (the same as --json)",
  )
    .option("--json <file>", "write the model, derivatives, LaTeX and checks as JSON")
    .option("--latex <file>", "write the DMFT system as a standalone LaTeX document")
    .option("--html <file>", "write the DMFT system as a self-contained KaTeX HTML page")
    .action(async (modelPath: string, opts: Record<string, unknown>) => {
      const common = commonOf(opts);
      if (common.out !== undefined && opts.json !== undefined && common.out !== opts.json)
        throw new UsageError("derive: --out and --json both name the JSON file; give one");
      const json = (opts.json as string | undefined) ?? common.out;
      for (const file of [json, opts.latex, opts.html])
        if (typeof file === "string") checkOutput(file, "file");
      // Loaded here, not at start-up: mathjs and KaTeX cost ~0.2 s that `--help` should not pay.
      const { loadDerived } = await import("../symbolic/index.js");
      const derived = loadDerived(modelPath, common.sets);
      process.stdout.write(formatDerived(derived));
      if (json !== undefined) writeText(json, `${JSON.stringify(derivedJson(derived), null, 2)}\n`);
      if (typeof opts.latex === "string" || typeof opts.html === "string") {
        const { writeDerivationDocs } = await import("../latex/index.js");
        writeDerivationDocs(derived, {
          latex: opts.latex as string | undefined,
          html: opts.html as string | undefined,
        });
      }
    });
}
