// The report of a vector model (k = kTeacher = 2) from synthetic results: every Q and M entry gets a
// verdict row, a CSV, a small-multiple panel and a place in the Q / M matrix panels; C_theta heat maps of
// [N1, N1, k, k] kernels are drawn per diagonal entry. The model is the shipped models/committee-erf.yaml.
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { parseHTML } from "linkedom";
import { describe, expect, it } from "vitest";
import { overlapNames } from "../src/observables/names.js";
import { writeReport } from "../src/report/index.js";
import { loadDerived } from "../src/symbolic/index.js";
import type { ObservableName, Result } from "../src/types.js";
import { commonObservables, compareResults } from "../src/validate/compare.js";
import type { Verdict } from "../src/validate/index.js";
import { HAVE_CHROMIUM, launchChromium, partialMeta } from "./helpers/shared.js";

const K = 2;
const N = 16;
const dt = 0.125;
const t = Array.from({ length: N + 1 }, (_, k) => k * dt);
const overlaps = overlapNames(K, K);
const NAMES: ObservableName[] = ["train_loss", "test_loss", ...overlaps.map((e) => e.name)];

/** Entry-dependent smooth curves so that entries are distinguishable. */
function curve(name: ObservableName, x: number): number {
  if (name === "train_loss") return 0.05 + 0.1 * Math.exp(-x);
  if (name === "test_loss") return 0.06 + 0.1 * Math.exp(-x);
  const e = overlaps.find((o) => o.name === name)!;
  const scale = e.matrix === "Q" ? (e.a === e.b ? 0.4 : 0.1) : e.a === e.b ? 0.3 : 0.05;
  return 0.01 * (e.a + 2 * e.b) + scale * (1 - Math.exp(-x));
}

function run(label: string, se: number, phase: number, bias = 0): Result {
  const observables: Result["observables"] = {};
  const stderr: Result["stderr"] = {};
  for (const name of NAMES) {
    observables[name] = t.map((x, k) => curve(name, x) + bias + se * Math.sin(3 * k + phase));
    stderr[name] = t.map(() => se);
  }
  const n1 = N + 1;
  const data = new Array<number>(n1 * n1 * K * K);
  for (let i = 0; i < n1; i++)
    for (let j = 0; j < n1; j++)
      for (let a = 0; a < K; a++)
        for (let b = 0; b < K; b++)
          data[((i * n1 + j) * K + a) * K + b] =
            (a === b ? 0.4 + 0.1 * a : 0.05) * Math.min(t[i], t[j]) + se * Math.cos(7 * i + 11 * j + phase);
  const kernels = { C_theta: { shape: [n1, n1, K, K], data, stderr: data.map(() => se) } };
  return { t, observables, stderr, kernels, meta: partialMeta({ label, seed: 1 }) };
}

const derived = loadDerived("models/committee-erf.yaml");
const model = derived.model;

function verdict(): Verdict {
  const dmft = run("dmft", 0.002, 0);
  const sgf = run("sgf", 0.003, 1);
  const sgd = run("sgd", 0.003, 2, 0.002);
  const continuum = run("continuum", 0.002, 3, 0.001);
  const spec = (id: string, gating: boolean) => ({
    id,
    title: id,
    gating,
    theoryLabel: "th",
    simLabel: "sim",
  });
  const tables = [
    compareResults(spec("gating", true), dmft, sgf),
    compareResults(spec("sgd-continuum", false), continuum, sgd),
  ];
  return {
    pass: tables[0].pass,
    model,
    derived,
    settings: { d: 500, seeds: 4, samples: 1000, batch: 1, quick: true, seed: 1, dt, T: N * dt },
    runs: { dmft, sgf, sgd, continuum },
    tables,
    notes: [],
    timings: { derive: 0.1, dmft: 1, sgf: 2, total: 3.1 },
  };
}

describe("report of a k = 2 model", () => {
  const dir = mkdtempSync(join(tmpdir(), "dmftkit-report-vector-"));
  const v = verdict();
  const files = writeReport(v, dir);
  const html = readFileSync(join(dir, "index.html"), "utf8");
  const { document } = parseHTML(html);

  it("orders observables as losses, then overlapNames (Q upper triangle, then M)", () => {
    expect(commonObservables(v.runs.dmft, v.runs.sgf)).toEqual(NAMES);
    expect(NAMES.slice(2)).toEqual(["Q_1_1", "Q_1_2", "Q_2_2", "M_1_1", "M_1_2", "M_2_1", "M_2_2"]);
  });

  it("writes one CSV per entry and a verdict row per entry", () => {
    expect(files.slice(3)).toEqual(["tidy.csv", ...NAMES.map((n) => `${n}.csv`)]);
    const csv = readFileSync(join(dir, "M_2_1.csv"), "utf8").trim().split("\n");
    expect(csv[0]).toBe(
      "t_dmft,dmft,dmft_se,t_continuum,continuum,continuum_se,t_sgf,sgf,sgf_se,t_sgd,sgd,sgd_se",
    );
    expect(Number(csv[4].split(",")[1])).toBe(v.runs.dmft.observables.M_2_1![3]);
    const rows = Array.from(document.querySelectorAll("section.table-block"))[0].querySelectorAll("tbody tr");
    expect(Array.from(rows).map((r) => r.querySelector("code")?.textContent)).toEqual(NAMES);
    expect(rows[3].textContent).toContain("Overlap Q₁₂");
    expect(document.querySelector("#verdict")?.textContent).toContain("all 9 observables");
  });

  it("plots Q and M entry by entry: matrix panels with one curve per entry, and one panel per entry", () => {
    const plots = Array.from(document.querySelectorAll("figure.plot")).map((f) =>
      f.getAttribute("data-plot"),
    );
    expect(plots).toEqual([
      "train_loss",
      "test_loss",
      "Q",
      "M",
      "residuals",
      "residuals-Q",
      "residuals-M",
      ...NAMES.slice(2),
      "C_theta_1_1-dmft",
      "C_theta_1_1-sgf",
      "C_theta_1_1-diff",
      "C_theta_2_2-dmft",
      "C_theta_2_2-sgf",
      "C_theta_2_2-diff",
    ]);
    const fig = (id: string) => document.querySelector(`figure[data-plot="${id}"]`)!;
    const lines = (id: string) => Array.from(fig(id).querySelectorAll("g[aria-label=line] path"));
    const longest = (id: string) => Math.max(...lines(id).map((p) => (p.getAttribute("d") ?? "").length));
    // One DMFT line per entry, each drawn, with a legend swatch per entry.
    expect(lines("Q")).toHaveLength(3);
    expect(lines("M")).toHaveLength(4);
    for (const p of [...lines("Q"), ...lines("M")])
      expect((p.getAttribute("d") ?? "").length).toBeGreaterThan(100);
    expect(fig("M").textContent).toContain("M₂₁");
    expect(fig("Q").querySelectorAll("g[aria-label=dot] > *").length).toBe(3 * (N + 1));
    // Small multiples: every series (DMFT, continuum, SGF, SGD) of each entry.
    for (const name of NAMES.slice(2)) {
      expect(lines(name)).toHaveLength(2);
      expect(longest(name)).toBeGreaterThan(100);
      expect(fig(name).querySelectorAll("g[aria-label=dot] > *").length).toBe(2 * (N + 1));
    }
    // Heat maps per diagonal entry, every cell drawn; the two rows show different entries.
    for (const id of ["C_theta_1_1-dmft", "C_theta_2_2-diff"])
      expect(fig(id).querySelectorAll("rect").length).toBeGreaterThan((N + 1) ** 2);
    expect(fig("C_theta_1_1-dmft").innerHTML).not.toBe(fig("C_theta_2_2-dmft").innerHTML);
  });

  it("shows the vector forms of the model (gradient and Hessian entries) and its DMFT system, without KaTeX errors", () => {
    const section = document.querySelector("section#model")!;
    expect(section.textContent).toContain("k = 2 units, k_teacher = 2");
    // yhat, L, K gradient entries, K(K+1)/2 Hessian entries, label, pen, h
    expect(section.querySelectorAll(".eq .katex-display").length).toBe(2 + K + 3 + 1 + 2);
    expect(section.textContent).toContain("H12=H21");
    expect(section.querySelectorAll("details.equations .katex-display").length).toBeGreaterThan(10);
    expect(html).not.toContain("katex-error");
    const ids = Array.from(document.querySelectorAll("[id]")).map((e) => e.id);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it("results.json keeps the [N1, N1, k, k] kernels", () => {
    const json = JSON.parse(readFileSync(join(dir, "results.json"), "utf8"));
    expect(json.runs.sgf.kernels.C_theta.shape).toEqual([N + 1, N + 1, K, K]);
    expect(Object.keys(json.runs.dmft.observables)).toEqual(NAMES);
  });

  it.skipIf(!HAVE_CHROMIUM)("renders in chromium: every figure drawn, no KaTeX errors", async () => {
    const browser = await launchChromium();
    try {
      const page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
      await page.goto(pathToFileURL(join(dir, "index.html")).href);
      expect(await page.locator(".katex-error").count()).toBe(0);
      const drawn = await page.evaluate(() =>
        Array.from(document.querySelectorAll("figure.plot")).map((f) => {
          const marks = Array.from(f.querySelectorAll("svg path, svg rect")).filter((e) => {
            const box = (e as SVGGraphicsElement).getBBox();
            return box.width > 0 && box.height > 0;
          });
          return [f.getAttribute("data-plot"), marks.length] as const;
        }),
      );
      expect(drawn).toHaveLength(7 + 7 + 6);
      for (const [id, n] of drawn) expect(n, `plot ${id}`).toBeGreaterThan(0);
      await page.screenshot({ path: join(dir, "report.png"), fullPage: true });
    } finally {
      await browser.close();
    }
  });
});
