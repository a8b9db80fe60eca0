// Planning a sweep: the grid points as solve specs with their content keys (each checked like `--set`
// would be before anything runs), and what is missing from the store.
import { readFileSync } from "node:fs";
import type { CliSolveOptions } from "../cli/solve.js";
import { loadModel, parseModel } from "../model/load.js";
import { versions } from "../report/index.js";
import { type Axis, gridPoints } from "./grid.js";
import { type PointSpec, pointKey } from "./point.js";

/** One grid point ready to solve. */
export interface Planned {
  params: Record<string, number>;
  key: string;
  spec: PointSpec;
}

export interface PointFailure {
  params: Record<string, number>;
  message: string;
  exitCode: number;
}

/** The whole grid in order. Bad model files, parameter names or values are UsageErrors here. */
export function planSweep(
  modelPath: string,
  axes: Axis[],
  sets: Record<string, number | string>,
  options: CliSolveOptions,
): { model: string; points: Planned[] } {
  const model = loadModel(modelPath, sets);
  const text = readFileSync(modelPath, "utf8");
  const { threads: _threads, onProgress: _onProgress, ...solveOptions } = options;
  const version = versions().dmftkit;
  const points = gridPoints(axes).map((params) => {
    const all = { ...sets, ...params };
    parseModel(text, modelPath, all);
    const spec: PointSpec = { model: { text, source: modelPath }, sets: all, options: solveOptions };
    return { params, key: pointKey(spec, version), spec };
  });
  return { model: model.name, points };
}
