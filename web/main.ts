// The playground page: YAML editor with presets and inline errors, parameter sliders, the derived equations,
// live curves from the solver Web Worker (web/worker.ts), the CLI command, downloads, and the state in the
// URL hash (web/state.ts). The page itself does no numerics: everything heavy runs in the worker.
import "katex/dist/katex.min.css";
import "./style.css";
import type { Job, Legend, Reply } from "./protocol.js";
import {
  cliCommand,
  DEFAULTS,
  errorPosition,
  formatHash,
  matchPreset,
  parseHash,
  setParameter,
  type ViewState,
} from "./state.js";

declare const __PRESETS__: Record<string, string>;
const PRESETS = __PRESETS__;
const FIRST = "logistic-regression.yaml";

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const yaml = $<HTMLTextAreaElement>("pg-yaml");
const gutter = $<HTMLPreElement>("pg-gutter");
const preset = $<HTMLSelectElement>("pg-preset");
const errorBox = $<HTMLDivElement>("pg-error");
const params = $<HTMLDivElement>("pg-params");
const seedIn = $<HTMLInputElement>("pg-seed");
const samplesIn = $<HTMLInputElement>("pg-samples");
const simIn = $<HTMLInputElement>("pg-sim");
const status = $<HTMLSpanElement>("pg-status");
const plots = $<HTMLDivElement>("pg-plots");
const legend = $<HTMLDivElement>("pg-legend");
const cli = $<HTMLPreElement>("pg-cli");
const buttons = {
  json: $<HTMLButtonElement>("pg-json"),
  csv: $<HTMLButtonElement>("pg-csv"),
  tex: $<HTMLButtonElement>("pg-tex"),
};

let state: ViewState = { text: "", ...DEFAULTS };
let outputs: { name: string; json?: string; csv?: string; tex?: string } = { name: "model" };
let worker: Worker | undefined;
let busy = false;
let sliderNames = "";

function setStatus(text: string, phase: "running" | "done" | "error" | "idle"): void {
  status.textContent = text;
  document.body.dataset.phase = phase;
}

function updateHash(): void {
  history.replaceState(null, "", formatHash(state));
  cli.textContent = cliCommand(state, PRESETS);
}

function updateGutter(badLine?: number): void {
  const n = yaml.value.split("\n").length;
  gutter.innerHTML = Array.from({ length: n }, (_, i) =>
    i + 1 === badLine ? `<span class="bad">${i + 1}</span>` : String(i + 1),
  ).join("\n");
  gutter.scrollTop = yaml.scrollTop;
}

function showError(message: string | undefined): void {
  if (message === undefined) {
    errorBox.hidden = true;
    errorBox.textContent = "";
    updateGutter();
    return;
  }
  const at = errorPosition(state.text, message);
  errorBox.hidden = false;
  errorBox.textContent = at ? `line ${at.line}, column ${at.column}: ${message}` : message;
  errorBox.dataset.line = String(at?.line ?? "");
  errorBox.dataset.column = String(at?.column ?? "");
  errorBox.title = at ? "click to go there" : "";
  updateGutter(at?.line);
}

/** A 1-2-5 step near span/200. */
function niceStep(span: number): number {
  const p = 10 ** Math.floor(Math.log10(span / 200));
  return [1, 2, 5, 10].map((m) => m * p).find((s) => s >= span / 200)!;
}

/** Slider range and step of a parameter from its value: delta > 0, tau >= 0, others around the value. */
function sliderRange(name: string, v: number): [number, number, number] {
  const a = Math.abs(v);
  const [lo, hi] =
    name === "delta"
      ? [0, Math.max(10, 2 * v)]
      : name === "tau"
        ? [0, Math.max(4, 2 * v)]
        : [v < 0 ? -3 * a : 0, Math.max(1, 3 * a)];
  const step = niceStep(hi - lo);
  // delta must stay > 0: its slider starts one step above 0.
  return [name === "delta" ? step : lo, hi, step];
}

/** Clicking the error puts the editor's caret at its line and column. */
function jumpToError(): void {
  const line = Number(errorBox.dataset.line);
  const column = Number(errorBox.dataset.column);
  if (!(line >= 1 && column >= 1)) return;
  const before = yaml.value.split("\n").slice(0, line - 1);
  const at = before.reduce((n, l) => n + l.length + 1, 0) + column - 1;
  yaml.focus();
  yaml.setSelectionRange(at, at);
}

/**
 * Sliders for the declared parameters; rebuilt only when the names change or a value leaves its slider's
 * range (typed in the editor), so dragging is not interrupted.
 */
function renderSliders(values: Record<string, number>): void {
  const names = Object.keys(values).join(",");
  const inRange = Object.entries(values).every(([k, v]) => {
    const input = params.querySelector<HTMLInputElement>(`input[data-param="${k}"]`);
    return input !== null && v >= Number(input.min) && v <= Number(input.max);
  });
  if (names === sliderNames && inRange) {
    for (const [k, v] of Object.entries(values)) {
      const input = params.querySelector<HTMLInputElement>(`input[data-param="${k}"]`);
      if (input && Number(input.value) !== v) input.value = String(v);
      const out = params.querySelector(`output[data-param="${k}"]`);
      if (out) out.textContent = String(v);
    }
    return;
  }
  sliderNames = names;
  params.replaceChildren();
  for (const [k, v] of Object.entries(values)) {
    const [lo, hi, step] = sliderRange(k, v);
    const row = document.createElement("div");
    row.className = "param";
    const label = document.createElement("label");
    label.textContent = k;
    const input = document.createElement("input");
    Object.assign(input, {
      type: "range",
      min: String(lo),
      max: String(hi),
      step: String(step),
      value: String(v),
    });
    input.dataset.param = k;
    input.setAttribute("data-testid", `param-${k}`);
    const out = document.createElement("output");
    out.dataset.param = k;
    out.textContent = String(v);
    input.addEventListener("input", () => {
      out.textContent = input.value;
    });
    input.addEventListener("change", () => {
      const value = Number(Number(input.value).toPrecision(6));
      yaml.value = setParameter(yaml.value, k, value);
      edited(0);
    });
    label.htmlFor = input.id = `pg-param-${k}`;
    row.append(label, input, out);
    params.append(row);
  }
}

function renderPlots(msg: Extract<Reply, { kind: "plots" }>): void {
  legend.innerHTML = msg.legend
    .map((l: Legend) => {
      const mark =
        l.kind === "sim"
          ? `<span class="dot" style="background:${l.color}"></span>`
          : `<span class="swatch" style="border-color:${l.color}${l.dashed ? ";border-top-style:dashed" : ""}"></span>`;
      return `<span>${mark}${escapeText(l.label)}</span>`;
    })
    .join("");
  plots.innerHTML = msg.plots
    .map(
      (p) => `<figure data-plot="${p.name}"><figcaption>${escapeText(p.title)}</figcaption>${p.svg}</figure>`,
    )
    .join("");
  plots.classList.remove("stale");
  plots.dataset.stage = msg.stage;
  document.body.dataset.firstCurveAt ??= String(Math.round(performance.now()));
}

function escapeText(s: string): string {
  return s.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
}

function onReply(msg: Reply): void {
  switch (msg.kind) {
    case "error":
      busy = false;
      showError(msg.message);
      plots.classList.add("stale");
      setStatus("error (see the message under the editor)", "error");
      return;
    case "model":
      showError(undefined);
      outputs.name = msg.name;
      renderSliders(msg.parameters);
      return;
    case "equations":
      outputs.tex = msg.tex;
      buttons.tex.disabled = false;
      $("pg-equations").innerHTML = msg.html;
      return;
    case "plots":
      renderPlots(msg);
      return;
    case "status":
      setStatus(msg.text, "running");
      return;
    case "solved":
      outputs.json = msg.json;
      outputs.csv = msg.csv;
      buttons.json.disabled = false;
      buttons.csv.disabled = false;
      document.body.dataset.solvedAt = String(Math.round(performance.now()));
      document.body.dataset.workers = String(msg.workers);
      setStatus(
        `solved (${msg.solver}${msg.workers > 1 ? `, ${msg.workers} workers` : ""}) in ${(msg.ms / 1000).toFixed(2)} s`,
        state.sim ? "running" : "done",
      );
      return;
    case "done":
      busy = false;
      setStatus(`done in ${(msg.ms / 1000).toFixed(2)} s`, "done");
      return;
  }
}

function newWorker(): Worker {
  const w = new Worker(new URL("./worker.js", import.meta.url), { type: "module" });
  w.onmessage = (e: MessageEvent<Reply>) => onReply(e.data);
  w.onerror = (e) => {
    busy = false;
    showError(`the solver worker failed: ${e.message}`);
    setStatus("error", "error");
  };
  return w;
}

/** Starts a solve of the current state; a running one is abandoned (its worker terminated). */
function run(): void {
  if (busy && worker) {
    worker.terminate();
    worker = undefined;
  }
  worker ??= newWorker();
  busy = true;
  state.run = true;
  updateHash();
  outputs = { name: outputs.name };
  for (const b of Object.values(buttons)) b.disabled = true;
  // Page-clock timestamps (ms since navigation) for the benchmark: run started, first curve, solve done.
  document.body.dataset.runAt = String(Math.round(performance.now()));
  delete document.body.dataset.firstCurveAt;
  delete document.body.dataset.solvedAt;
  plots.classList.add("stale");
  setStatus("deriving…", "running");
  const hit = matchPreset(state.text, PRESETS);
  const job: Job = {
    text: state.text,
    source: hit ? `models/${hit.file}` : "model.yaml",
    seed: state.seed,
    samples: state.samples,
    sim: state.sim,
    cores: navigator.hardwareConcurrency ?? 1,
  };
  worker.postMessage(job);
}

let timer: ReturnType<typeof setTimeout> | undefined;
/** The editor or a control changed: update state, hash and preset choice; re-solve after `delay` ms. */
function edited(delay: number): void {
  state = {
    ...state,
    text: yaml.value,
    seed: Math.max(0, Math.floor(Number(seedIn.value) || 0)),
    samples: Math.max(16, Math.floor(Number(samplesIn.value) || DEFAULTS.samples)),
    sim: simIn.checked,
  };
  const hit = matchPreset(state.text, PRESETS);
  preset.value = hit && Object.keys(hit.sets).length === 0 ? hit.file : "";
  updateGutter(errorBox.hidden ? undefined : Number(errorBox.dataset.line));
  updateHash();
  clearTimeout(timer);
  timer = setTimeout(run, delay);
}

function download(what: "json" | "csv" | "tex" | "yaml"): void {
  const text = what === "yaml" ? state.text : outputs[what];
  if (text === undefined) return;
  const type = {
    json: "application/json",
    csv: "text/csv",
    tex: "application/x-tex",
    yaml: "application/yaml",
  }[what];
  const a = document.createElement("a");
  a.href = URL.createObjectURL(new Blob([text], { type }));
  a.download = `${outputs.name}${what === "json" ? "-dmft" : ""}.${what}`;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(a.href), 1000);
}

async function copyCli(): Promise<void> {
  const text = cliCommand(state, PRESETS);
  let done = "Copied";
  try {
    await navigator.clipboard.writeText(text);
  } catch {
    // no clipboard permission (e.g. plain http on another host): select the text for Ctrl+C instead
    getSelection()?.selectAllChildren(cli);
    done = "Selected: press Ctrl+C";
  }
  $("pg-copy").textContent = done;
  setTimeout(() => {
    $("pg-copy").textContent = "Copy CLI command";
  }, 1500);
}

/** Takes the state from the URL hash (defaults and the first preset for what is missing). */
function fromHash(): void {
  const h = parseHash(location.hash);
  state = { ...h, text: h.text ?? PRESETS[FIRST] };
  yaml.value = state.text;
  seedIn.value = String(state.seed);
  samplesIn.value = String(state.samples);
  simIn.checked = state.sim;
}

function init(): void {
  for (const file of [FIRST, ...Object.keys(PRESETS).filter((f) => f !== FIRST)]) {
    const o = document.createElement("option");
    o.value = file;
    o.textContent = file.replace(/\.yaml$/, "");
    preset.append(o);
  }
  fromHash();
  // A link pasted into this tab: take its state (the page's own hash updates do not fire this event).
  addEventListener("hashchange", () => {
    fromHash();
    start();
  });
  preset.addEventListener("change", () => {
    if (!preset.value) return;
    yaml.value = PRESETS[preset.value];
    edited(0);
  });
  yaml.addEventListener("input", () => edited(600));
  yaml.addEventListener("scroll", () => {
    gutter.scrollTop = yaml.scrollTop;
  });
  for (const el of [seedIn, samplesIn, simIn]) el.addEventListener("change", () => edited(0));
  $("pg-run").addEventListener("click", () => edited(0));
  $("pg-copy").addEventListener("click", () => void copyCli());
  buttons.json.addEventListener("click", () => download("json"));
  buttons.csv.addEventListener("click", () => download("csv"));
  buttons.tex.addEventListener("click", () => download("tex"));
  $("pg-yamlfile").addEventListener("click", () => download("yaml"));
  errorBox.addEventListener("click", jumpToError);
  start();
}

/** Shows the state just read from the hash; solves if it says run=1. */
function start(): void {
  const hit = matchPreset(state.text, PRESETS);
  preset.value = hit && Object.keys(hit.sets).length === 0 ? hit.file : "";
  updateGutter();
  updateHash();
  if (state.run) run();
  else setStatus("press Solve (or edit the model) to start", "idle");
}

init();
