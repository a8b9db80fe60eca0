// The dmft stage: Derived -> DmftSystem (the model's DMFT equations as data and LaTeX content).
export { buildDmftSystem } from "./system.js";
export type {
  Block,
  DmftSystem,
  Inline,
  KernelName,
  KernelSpec,
  LinearCase,
  OnlineCase,
  Section,
} from "./types.js";
