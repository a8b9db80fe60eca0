// `dmftkit derive MODEL [--set k=v] [--json FILE]`: load and derive a model, print its expressions,
// derivatives (text and LaTeX) and the checks that ran; optionally write them as JSON.
// Output formats are separate functions so further writers (--latex, --html) are one option + one call.
import type { Command } from "commander";
import { LATEX_LHS } from "../symbolic/latex.js";
import type { Derived, FnName } from "../types.js";
import { addCommonOptions, commonOf, writeText } from "./common.js";

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

/** The human-readable summary printed by `derive`. */
export function formatDerived(d: Derived): string {
  const m = d.model;
  const params = Object.entries(m.parameters)
    .map(([k, v]) => `${k} = ${v}`)
    .join(", ");
  const out = [
    `model       ${m.name}: ${m.description} (${m.source})`,
    `parameters  ${params}`,
    `time        T = ${m.time.T}, dt = ${m.time.dt}; init_std = ${m.initStd}, teacher_variance = ${m.teacherVariance}`,
    `activation  yhat = ${m.activation}; loss = ${m.loss}`,
    `properties  binary labels: ${d.binaryLabels ? "yes" : "no"}; linear (closed equations): ${d.linear ? "yes" : "no"}`,
    "",
  ];
  for (const name of ORDER) {
    out.push(`${LABELS[name].padEnd(20)} = ${d.text[name]}`);
    out.push(`${"".padEnd(20)}   LaTeX: ${LATEX_LHS[name]} = ${d.latex[name]}`);
  }
  out.push("", "checks:", ...d.checks.map((c) => `  ok  ${c}`));
  return `${out.join("\n")}\n`;
}

/** The `--json` document. */
export function derivedJson(d: Derived): Record<string, unknown> {
  const { source, lines, ...model } = d.model;
  return {
    model: { ...model, source },
    expressions: { loss: d.text.loss, label: d.text.label, pen: d.text.pen },
    derivatives: { l: d.text.l, dl: d.text.dl, d2l: d.text.d2l, h: d.text.h, dh: d.text.dh },
    latex: d.latex,
    binaryLabels: d.binaryLabels,
    linear: d.linear,
    checks: d.checks,
  };
}

export function registerDerive(program: Command): void {
  addCommonOptions(
    program
      .command("derive")
      .argument("<model>", "model file (YAML)")
      .description("derive the model's derivatives, check them, print them (text and LaTeX), write JSON"),
  )
    .option("--json <file>", "write the model, derivatives, LaTeX and checks as JSON")
    .option("--latex <file>", "write the DMFT system as a standalone LaTeX document")
    .option("--html <file>", "write the DMFT system as a self-contained KaTeX HTML page")
    .action(async (modelPath: string, opts: Record<string, unknown>) => {
      const common = commonOf(opts);
      // Loaded here, not at start-up: mathjs and KaTeX cost ~0.2 s that `--help` should not pay.
      const { loadDerived } = await import("../symbolic/index.js");
      const derived = loadDerived(modelPath, common.sets);
      process.stdout.write(formatDerived(derived));
      if (typeof opts.json === "string")
        writeText(opts.json, `${JSON.stringify(derivedJson(derived), null, 2)}\n`);
      if (typeof opts.latex === "string" || typeof opts.html === "string") {
        const { writeDerivationDocs } = await import("../latex/index.js");
        writeDerivationDocs(derived, {
          latex: opts.latex as string | undefined,
          html: opts.html as string | undefined,
        });
      }
    });
}
