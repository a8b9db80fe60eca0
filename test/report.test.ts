// The report from synthetic results: files, page structure (plots with non-empty marks, verdict tables,
// escaped model text, no network references), CSVs and results.json.
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseHTML } from "linkedom";
import { describe, expect, it } from "vitest";
import { writeReport } from "../src/report/index.js";
import { observablePlot } from "../src/report/plots.js";
import { loadDerived } from "../src/symbolic/index.js";
import type { Model, ObservableName, Result } from "../src/types.js";
import { compareResults } from "../src/validate/compare.js";
import type { Verdict } from "../src/validate/index.js";
import { solverLabel } from "../src/validate/settings.js";
import { partialMeta } from "./helpers/shared.js";

const N = 20;
const dt = 0.1;
const t = Array.from({ length: N + 1 }, (_, k) => k * dt);
const curves: Record<ObservableName, (x: number) => number> = {
  train_loss: (x) => 0.35 + 0.34 * Math.exp(-x),
  test_loss: (x) => 0.5 + 0.19 * Math.exp(-x),
  test_error: (x) => 0.25 + 0.25 * Math.exp(-2 * x),
  q: (x) => 0.35 * x,
  m: (x) => 0.2 * x,
};

/** A smooth synthetic run, shifted by `bias` and wiggled deterministically (phase) within `se`. */
function run(label: string, se: number, phase: number, bias = 0, kernels = false): Result {
  const observables: Result["observables"] = {};
  const stderr: Result["stderr"] = {};
  for (const [name, f] of Object.entries(curves) as Array<[ObservableName, (x: number) => number]>) {
    observables[name] = t.map((x, k) => f(x) + bias + se * Math.sin(3 * k + phase));
    stderr[name] = t.map(() => se);
  }
  const r: Result = { t, observables, stderr, meta: partialMeta({ label, seed: 1 }) };
  if (kernels) {
    const data = t.flatMap((a) =>
      t.map((b) => 0.35 * Math.min(a, b) + se * Math.cos(7 * a + 11 * b + phase)),
    );
    r.kernels = { C_theta: { shape: [N + 1, N + 1], data, stderr: data.map(() => se) } };
  }
  return r;
}

const derived = loadDerived("models/logistic-regression.yaml");
const model: Model = { ...derived.model, description: "Synthetic <script>alert('x')</script> & friends" };

function verdict(opts: { sgd: boolean; bias?: number }): Verdict {
  const dmft = run("dmft", 0.002, 0, 0, true);
  const sgf = run("sgf", 0.004, 1, opts.bias ?? 0, true);
  const runs: Verdict["runs"] = { dmft, sgf };
  const spec = (id: string, gating: boolean) => ({
    id,
    title: id,
    gating,
    theoryLabel: "th",
    simLabel: "sim",
  });
  const tables = [compareResults(spec("gating", true), dmft, sgf)];
  if (opts.sgd) {
    runs.sgd = run("sgd", 0.004, 2, 0.003);
    runs.continuum = run("continuum", 0.003, 3, 0.002);
    runs.sgdLimit = run("sgdLimit", 0.003, 4, 0.004);
    tables.push(compareResults(spec("sgd-continuum", false), runs.continuum, runs.sgd));
    tables.push(compareResults(spec("sgd-limit", false), runs.sgdLimit, runs.sgd));
  }
  return {
    pass: tables[0].pass,
    model,
    derived: { ...derived, model },
    settings: { d: 500, seeds: 4, samples: 1000, batch: 1, quick: true, seed: 1, dt, T: N * dt },
    runs,
    tables,
    notes: opts.sgd ? [] : ["tau = 0: no SGD"],
    timings: { derive: 0.1, dmft: 1, sgf: 2, total: 3.1 },
  };
}

function page(dir: string) {
  const html = readFileSync(join(dir, "index.html"), "utf8");
  return { html, document: parseHTML(html).document };
}

describe("writeReport", () => {
  const dir = mkdtempSync(join(tmpdir(), "dmftkit-report-"));
  const v = verdict({ sgd: true });
  const files = writeReport(v, dir, { command: "dmftkit validate synthetic.yaml" });

  it("writes the page, the equations, results.json and one CSV per observable", () => {
    expect(files).toEqual([
      "index.html",
      "equations.tex",
      "results.json",
      "tidy.csv",
      "train_loss.csv",
      "test_loss.csv",
      "test_error.csv",
      "q.csv",
      "m.csv",
    ]);
    const tex = readFileSync(join(dir, "equations.tex"), "utf8");
    expect(tex).toContain("\\documentclass");
    expect(tex).toContain("\\end{document}");
  });

  it("has one plot per observable, the residuals and three heat maps, all with drawn marks", () => {
    const { document } = page(dir);
    const plots = Array.from(document.querySelectorAll("figure.plot"));
    expect(plots.map((f) => f.getAttribute("data-plot"))).toEqual([
      "train_loss",
      "test_loss",
      "test_error",
      "q",
      "m",
      "residuals",
      "C_theta-dmft",
      "C_theta-sgf",
      "C_theta-diff",
    ]);
    for (const f of plots.slice(0, 6)) {
      const longest = Math.max(
        ...Array.from(f.querySelectorAll("path")).map((p) => (p.getAttribute("d") ?? "").length),
      );
      expect(longest).toBeGreaterThan(100); // a data line, not just axis ticks
    }
    for (const f of plots.slice(6)) expect(f.querySelectorAll("rect").length).toBeGreaterThan((N + 1) ** 2);
    // Observable plots: theory band + 3 theory lines + SGF and SGD points with error bars.
    const q = plots[3];
    expect(q.querySelectorAll("g[aria-label=line] path").length).toBe(3);
    expect(q.querySelectorAll("g[aria-label=area] path").length).toBe(1);
    const children = (label: string) =>
      Array.from(q.querySelectorAll(`g[aria-label=${label}]`)).reduce((n, g) => n + g.children.length, 0);
    expect(children("dot")).toBe(2 * (N + 1));
    expect(children("rule")).toBe(2 * (N + 1));
  });

  it("shows the verdict tables with the rule, the gating one first", () => {
    const { document, html } = page(dir);
    const tables = Array.from(document.querySelectorAll("section.table-block"));
    expect(tables.map((s) => s.getAttribute("data-table"))).toEqual(["gating", "sgd-continuum", "sgd-limit"]);
    expect(tables[0].querySelectorAll("tbody tr").length).toBe(5);
    expect(tables[0].textContent).toContain("gating: decides the verdict and exit status");
    expect(tables[1].textContent).toContain("not gating");
    expect(tables[0].querySelector(".rule .katex")).not.toBeNull();
    expect(document.querySelectorAll("details.equations .katex-display").length).toBeGreaterThan(10);
    expect(document.querySelector("#verdict")?.textContent).toContain("PASS");
    expect(html).not.toContain("katex-error");
  });

  it("escapes model text and references nothing on the network", () => {
    const { document, html } = page(dir);
    expect(document.querySelectorAll("script").length).toBe(0);
    expect(html).toContain("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; friends");
    expect(html).not.toMatch(/(src|href)=["']?https?:|url\(["']?https?:|@import/);
    expect(html).toContain("data:font/woff2;base64,");
  });

  it("writes wide CSVs with every series and results.json with everything plotted", () => {
    const csv = readFileSync(join(dir, "q.csv"), "utf8").trim().split("\n");
    expect(csv[0]).toBe(
      "t_dmft,dmft,dmft_se,t_continuum,continuum,continuum_se,t_sgdLimit,sgdLimit,sgdLimit_se,t_sgf,sgf,sgf_se,t_sgd,sgd,sgd_se",
    );
    expect(csv).toHaveLength(N + 2);
    const row = csv[5].split(",").map(Number);
    expect(row[0]).toBeCloseTo(t[4], 12);
    expect(row[1]).toBe(v.runs.dmft.observables.q![4]);
    expect(row[11]).toBe(v.runs.sgf.stderr.q![4]);
    const json = JSON.parse(readFileSync(join(dir, "results.json"), "utf8"));
    expect(Object.keys(json.runs)).toEqual(["dmft", "continuum", "sgdLimit", "sgf", "sgd"]);
    expect(json.runs.sgf.kernels.C_theta.shape).toEqual([N + 1, N + 1]);
    expect(json.tables).toHaveLength(3);
    expect(json.derived).toBeUndefined();
    expect(json.versions.dmftkit).toMatch(/^\d+\.\d+\.\d+/);
  });

  it("without SGD or kernels: fewer series, no heat maps; a failed gating check says FAIL", () => {
    const dir2 = mkdtempSync(join(tmpdir(), "dmftkit-report-"));
    const w = verdict({ sgd: false, bias: 0.05 });
    delete w.runs.sgf.kernels;
    writeReport(w, dir2);
    const { document } = page(dir2);
    expect(w.pass).toBe(false);
    expect(document.querySelector("#verdict")?.textContent).toContain("FAIL");
    expect(document.querySelectorAll("figure.plot").length).toBe(6);
    expect(document.querySelectorAll("section.table-block").length).toBe(1);
    expect(document.querySelectorAll("tr.fail").length).toBe(5);
    expect(readFileSync(join(dir2, "m.csv"), "utf8").split("\n")[0]).toBe(
      "t_dmft,dmft,dmft_se,t_sgf,sgf,sgf_se",
    );
  });

  it("writes tidy.csv: every run in long form (run, observable, t, value, se)", () => {
    const lines = readFileSync(join(dir, "tidy.csv"), "utf8").trim().split("\n");
    expect(lines[0]).toBe("run,observable,t,value,se");
    expect(lines).toHaveLength(1 + 5 * 5 * (N + 1));
    expect(lines).toContain(`sgf,q,${t[4]},${v.runs.sgf.observables.q![4]},${v.runs.sgf.stderr.q![4]}`);
  });

  it("names non-finite values (row, banner, figure, CSV, JSON) instead of comparing or dropping them", () => {
    const dir3 = mkdtempSync(join(tmpdir(), "dmftkit-report-"));
    const w = verdict({ sgd: false });
    const loss = w.runs.sgf.observables.test_loss!;
    for (const k of [3, 4, 5]) loss[k] = Infinity;
    w.tables = [compareResults({ ...w.tables[0] }, w.runs.dmft, w.runs.sgf)];
    w.pass = w.tables[0].pass;
    writeReport(w, dir3);
    const row = w.tables[0].rows.find((r) => r.name === "test_loss")!;
    expect(row.pass).toBe(false);
    expect(row.problem).toMatch(
      /^not compared: simulation value of test_loss is Infinity \(3 of 21 times, t = 0\.3 to 0\.5\)\. The overlaps are finite at those times: the loss formula overflows/,
    );
    expect(row.points).toBe(N + 1 - 3); // the finite points are still compared
    expect(w.tables[0].rows.filter((r) => r.name !== "test_loss").every((r) => r.pass)).toBe(true);
    const { document } = page(dir3);
    expect(document.querySelector("#verdict")?.textContent).toContain(
      "simulation value of test_loss is Infinity",
    );
    expect(document.querySelector("#verdict")?.textContent).not.toContain("simulation disagree");
    const fig = document.querySelector('figure[data-plot="test_loss"]');
    expect(fig?.textContent).toContain("Not drawn, not finite");
    expect(readFileSync(join(dir3, "test_loss.csv"), "utf8")).toContain(",Infinity,");
    const json = JSON.parse(readFileSync(join(dir3, "results.json"), "utf8"));
    expect(json.runs.sgf.observables.test_loss[4]).toBe("Infinity");
  });
});

describe("time axis", () => {
  it("--time-axis log draws the observables on a symlog time axis (t = 0 kept), linear otherwise", () => {
    const v = verdict({ sgd: false });
    /** Tick label -> x position of the time axis. */
    const ticks = (svg: string) =>
      new Map(
        [...svg.matchAll(/<text transform="translate\(([\d.]+),\d+\)" y="0.71em">([\d.]+)</g)].map((m) => [
          Number(m[2]),
          Number(m[1]),
        ]),
      );
    const lin = ticks(observablePlot(v, "q"));
    const log = ticks(observablePlot({ ...v, settings: { ...v.settings, timeAxis: "log" } }, "q"));
    const ratio = (x: Map<number, number>) => (x.get(2)! - x.get(0)!) / (x.get(1)! - x.get(0)!);
    expect(ratio(lin)).toBeCloseTo(2, 6);
    expect(ratio(log)).toBeCloseTo(Math.log(3) / Math.log(2), 6); // symlog: log(1 + t)
  });
});

describe("solver label", () => {
  it("names the response estimator that produced the Monte-Carlo kernels", () => {
    const v = verdict({ sgd: false });
    v.runs.dmft.meta = partialMeta({ solver: "mc", response: { estimator: "stein" } });
    expect(solverLabel(v)).toBe("Monte Carlo, 1000 samples, stein response estimator");
    v.runs.dmft.meta = partialMeta({ solver: "exact-linear" });
    expect(solverLabel(v)).toContain("deterministic");
  });
});
