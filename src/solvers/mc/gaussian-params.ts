// The parameter side in closed form (issue 15), for penalties with a linear gradient h(theta) = lambda theta
// (ridge, or none; lambda may be scheduled). The parameter-side step
//     theta_{k+1} = (1 - D lambda_k) theta_k - D [sum_s rho[k,s] theta_s + Gamma_k theta*] + nu_k
// is then linear in its Gaussian inputs (theta*, theta_0, nu_0, nu_1, ...) with coefficients that are the
// same for every sample, so theta_k = B_k . Z exactly, B_k a deterministic row. The Monte-Carlo parameter
// side (M samples, their Gram–Schmidt, three O(M k) passes per step) computes nothing B does not: with
// moment-matched inputs its moments were exactly C_theta[k,s] = B_k . B_s and m_k = B_k . B_{theta*}
// (measured: equal to 1e-15). Here they are dot products of rows, O(k U^2) per step with no samples, and the
// prediction side draws its fields from them as before (Lw, the Cholesky factor of C_theta, is B itself
// until a pivot is zeroed; it is kept apart so that its zeroed pivots leave B exact).
// B is lower triangular: row c < V is theta*^c = sqrt(rho*) e_c, row V + kU + a is theta_k^a; its columns
// are the inputs (V teacher columns, U for theta_0, then one per nu_j, j = sU + b).
import type { GroupState } from "./group.js";
import { PIVOT_TOL } from "./linalg.js";
import { colDots, rowDots } from "./wasm.js";

/** Rows of theta* and theta_0 (theta_0^a = initOverlap theta*^a + initStd z_a), before step 0. */
export function initialRows(s: GroupState): void {
  const { U, V, p } = s;
  const B = s.B!;
  const row = s.bRow!;
  const sq = Math.sqrt(p.rhoStar);
  for (let c = 0; c < V; c++) {
    row.fill(0, 0, c + 1);
    row[c] = sq;
    B.setRow(row);
  }
  for (let a = 0; a < U; a++) {
    const r = V + a;
    row.fill(0, 0, r + 1);
    if (p.initOverlap !== 0) row[a] = p.initOverlap * sq;
    row[r] = p.initStd;
    B.setRow(row);
  }
}

/**
 * Whether Lw, the Cholesky factor of Cov(w*, w_0, ..., w_k), is B itself. A Cholesky factor is unique, so
 * it is while every pivot of B's rows so far is either clearly positive or exactly 0 (theta_0 = 0, or a
 * nu_j without innovation: B's column is then 0 in every row, as addRow's). A tiny positive pivot, which
 * addRow would zero (PIVOT_TOL), ends it for the rest of the solve. Step k's rows of w_k are then B's rows
 * of theta_k, so neither C_theta[k, .] nor addRow's forward solve is needed. Scans each row once
 * (s.lwIsB; a restored state rescans from row 0).
 */
function lwIsB(s: GroupState, k: number): boolean {
  const st = s.lwIsB!;
  const { L, capacity: cap } = s.B!;
  for (; st.rows < s.V + (k + 1) * s.U; st.rows++) {
    const r = st.rows;
    let sq = 0;
    for (let j = 0; j <= r; j++) sq += L[r * cap + j] * L[r * cap + j];
    const d = L[r * cap + r];
    if (d !== 0 && !(d * d > PIVOT_TOL * sq)) st.same = false;
  }
  return st.same && s.Lw.clamped === 0;
}

/**
 * Q_k, m_k and the rows of w_k in Lw (step k), from the rows of B: copied where Lw is B (lwIsB), else from
 * C_theta[k, 0..k] = B_k . B_s by addRow (returns false: stepPrediction adds them). C_theta[k, s < k] is
 * computed only then; closedKernels fills it at the recorded steps for --kernels.
 */
export function closedMoments(s: GroupState, k: number): boolean {
  const { C, Lw, Mo, N1, Qo, U, UU, UV, V, acc } = s;
  const { L, capacity: cap } = s.B!;
  const same = lwIsB(s, k);
  const from = same ? k : 0;
  const rows = (k + 1 - from) * U;
  for (let a = 0; a < U; a++) {
    const ra = V + k * U + a;
    acc.fill(0, 0, rows);
    const row = L.subarray(ra * cap, ra * cap + ra + 1);
    rowDots(L.subarray((V + from * U) * cap), rows, cap, ra + 1, row, acc);
    for (let t = from; t <= k; t++) {
      for (let b = 0; b < U; b++) {
        const v = acc[(t - from) * U + b];
        C[(k * N1 + t) * UU + a * U + b] = v;
        C[(t * N1 + k) * UU + b * U + a] = v;
      }
    }
    for (let c = 0; c < V; c++) {
      let v = 0;
      for (let j = 0; j <= c; j++) v += L[ra * cap + j] * L[c * cap + j];
      Mo[k * UV + a * V + c] = v;
    }
  }
  for (let e = 0; e < UU; e++) Qo[k * UU + e] = C[(k * N1 + k) * UU + e];
  if (!same) return false;
  for (let a = 0; a < U; a++) {
    const ra = V + k * U + a;
    s.rows[a] = Lw.setRow(L.subarray(ra * cap, ra * cap + ra + 1));
    // addRow's count: a variable without innovation.
    if (L[ra * cap + ra] === 0) Lw.zeroPivots++;
  }
  return true;
}

/** C_theta[t, u] = B_t B_u^T at the recorded steps t, u (for --kernels, after the last step). */
export function closedKernels(s: GroupState, rec: readonly number[]): void {
  const { C, N1, U, UU, V, acc } = s;
  const { L, capacity: cap } = s.B!;
  for (const t of rec) {
    for (let a = 0; a < U; a++) {
      const ra = V + t * U + a;
      const row = L.subarray(ra * cap, ra * cap + ra + 1);
      for (const u of rec) {
        if (u > t) break;
        acc.fill(0, 0, U);
        rowDots(L.subarray((V + u * U) * cap), U, cap, Math.min(ra + 1, V + (u + 1) * U), row, acc);
        for (let b = 0; b < U; b++) {
          C[(t * N1 + u) * UU + a * U + b] = acc[b];
          C[(u * N1 + t) * UU + b * U + a] = acc[b];
        }
      }
    }
  }
}

/**
 * Appends the rows of theta_{k+1} (step k < N, after Lnu's rows of nu_k):
 *   B[theta_{k+1}^a] = (1 - D lambda) B[theta_k^a] - D sum_{s <= k, b} rho[k,s]_ab B[theta_s^b]
 *                      - D sum_c Gamma_k,ac B[theta*^c] + sum_j Lnu[kU + a, j] e_{V + U + j}.
 * With Stein and Lw = B, the two sums are Lw^T x for Stein's x = Lw^-T <Z l_k^a>, i.e. the dots <Z l_k^a>
 * themselves, 0 in the columns of zero pivots (O(k) instead of O(k^2); equal to rounding).
 */
export function closedParameters(s: GroupState, k: number, lambda: number): void {
  const { D, Gamma, Lnu, Lw, M, N1, U, UU, UV, V, coef, rho, pred, varCols, steinScratch } = s;
  const B = s.B!;
  const { L, capacity: cap } = B;
  const row = s.bRow!;
  const Rk = k * N1 * UU;
  const width = V + (k + 1) * U;
  const dots = steinScratch && Lw.n === width && lwIsB(s, k);
  const W = pred.slot(varCols[width - 1]) + 1;
  for (let a = 0; a < U; a++) {
    const own = (V + k * U + a) * cap;
    row.fill(0, 0, width + U);
    if (dots) {
      const d = steinScratch.dots;
      for (let j = 0; j < width; j++)
        row[j] = Lw.L[j * Lw.capacity + j] === 0 ? 0 : -D * (d[a * W + pred.slot(varCols[j])] / M);
    } else {
      for (let t = 0; t <= k; t++)
        for (let b = 0; b < U; b++) coef[t * U + b] = -D * rho[Rk + t * UU + a * U + b];
      // The rows of theta_0..theta_k as the "columns" of colDots: row_j += sum_r coef_r B[V + r, j].
      colDots(L.subarray(V * cap), (k + 1) * U, cap, width, coef, row);
      for (let c = 0; c < V; c++) {
        const g = -D * Gamma[k * UV + a * V + c];
        for (let j = 0; j <= c; j++) row[j] += g * L[c * cap + j];
      }
    }
    for (let j = 0; j < width; j++) row[j] += (1 - D * lambda) * L[own + j];
    const nu = (k * U + a) * Lnu.capacity;
    for (let j = 0; j <= k * U + a; j++) row[V + U + j] += Lnu.L[nu + j];
    B.setRow(row);
  }
}
