// Defaults that the CLI's help texts print and the solvers apply, in a module light enough for --help
// (which must not load the solvers; test/cli-startup.test.ts).

/** Monte-Carlo population size when none is given (the planner raises it where Stein needs more). */
export const DEFAULT_SAMPLES = 20000;
