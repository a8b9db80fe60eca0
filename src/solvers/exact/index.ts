// Exact solvers for the special cases of the DMFT (theory note §4, issue 8): closed equations for linear
// models, the Marchenko–Pastur spectral oracle for gradient descent / flow on ridge regression, and the
// online-SGD (delta -> infinity) overlap equations.
export { type LinearCoefficients, linearCoefficients, ridgeOf } from "./coefficients.js";
export { type ExactLinearOptions, solveExactLinear } from "./linear.js";
export { type OnlineOptions, solveOnline } from "./online.js";
export { solveLinearScheme } from "./scheme.js";
export { marchenkoPastur, type SpectralOptions, spectralOracle } from "./spectral.js";
