// The Result.meta fields that say which model ran (written by the Monte-Carlo solver and the simulators).
import type { Model } from "../types.js";

export function modelMeta(model: Model) {
  return {
    model: model.name,
    source: model.source,
    parameters: model.parameters,
    ...(model.schedules ? { schedules: model.schedules } : {}),
    init_std: model.initStd,
    init_overlap: model.initOverlap,
    teacher_variance: model.teacherVariance,
  };
}
