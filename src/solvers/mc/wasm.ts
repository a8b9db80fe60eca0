// The Monte-Carlo solver's entry to the kernel library (src/kernels/): arenas, the dense dot kernels and
// the SIMD tangent, re-exported under the path the solver's modules import them from.
export {
  arenaDoubles,
  colDots,
  colDotsBlock,
  floatDoubles,
  MAX_BLOCK,
  rowDots,
  rowDotsBlock,
  sameArena,
  TANGENT_LANES,
  tangentRowSimd,
  WasmArena,
  wasmArrays,
} from "../../kernels/calls.js";
