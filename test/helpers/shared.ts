// Test helpers shared by several suites: the shipped model names and headless Debian Chromium.
import { existsSync } from "node:fs";
import { type Browser, chromium } from "playwright-core";
import type { ResultMeta } from "../../src/types.js";

/** The models shipped under models/ (the symbolic suite checks this list against the folder). */
export const SHIPPED_MODELS = [
  "committee-erf",
  "committee-relu",
  "committee-softplus",
  "hinge-svm",
  "lad-regression",
  "linear-regression",
  "logistic-lr-drop",
  "logistic-regression",
  "phase-retrieval",
  "pseudo-huber-regression",
  "relu-neuron",
  "ridge-warmup-decay",
  "tanh-regression",
];

/** Debian's chromium; browser suites skip, with a message, only when it is absent. */
export const CHROMIUM = "/usr/bin/chromium";
export const HAVE_CHROMIUM = existsSync(CHROMIUM);

/** Headless Chromium with the flags this closed network needs (no background connections). */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
    ],
  });
}

/** The meta of a hand-made Result: only the fields a test needs (real runs write a full ResultMeta). */
export function partialMeta(fields: Record<string, unknown>): ResultMeta {
  return fields as unknown as ResultMeta;
}
