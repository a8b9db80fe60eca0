// Response rows for any k: the block (k x k) versions of the backward per-sample tangent recursions of
// responses.ts (theory note §6). Same layouts as there (TangentRow, ParamRow) with every scalar replaced by
// a row-major U x U block: Cc[(i N1 + s) UU], H = dl[i UU], Rt[(s N1 + a) UU] = R[a,s], out[s UU]. The entry points dispatch on U:
// U = 1 to the scalar (SIMD) kernels of responses.ts, U = 2 to an unrolled kernel, else the generic one;
// tests check that all of them agree.
import { ran } from "../../kernels/loader.js";
import { type ParamRow, paramResponseRow, predictionResponseRow, type TangentRow } from "./responses.js";

/** C += A B for U x U blocks (row-major, at the given offsets); C must not alias A or B. */
function mulAdd(
  U: number,
  A: Float64Array,
  ao: number,
  B: Float64Array,
  bo: number,
  C: Float64Array,
  co: number,
) {
  for (let a = 0; a < U; a++) {
    for (let b = 0; b < U; b++) {
      let s = 0;
      for (let c = 0; c < U; c++) s += A[ao + a * U + c] * B[bo + c * U + b];
      C[co + a * U + b] += s;
    }
  }
}

function setIdentity(U: number, A: Float64Array, o: number): void {
  A.fill(0, o, o + U * U);
  for (let a = 0; a < U; a++) A[o + a * U + a] = 1;
}

/**
 * Prediction side: out[s] = sum_i H_i(r_k) P_i[s], s <= k, with P[k] = I and
 * P[s] = (sum_{a=s+1..k} P[a] R[a,s]) Cc_s (row k of (I - K)^-1, K[a,s] = R[a,s] H(r_s) dxi_s).
 * `P` is scratch of length >= (k + 2) UU.
 */
export function predictionResponseRowBlock(U: number, row: TangentRow): void {
  if (U === 1) predictionResponseRow(row);
  else {
    ran("tangent", false);
    if (U === 2) predictionResponseRow2(row);
    else predictionResponseRowGeneric(U, row);
  }
}

/** predictionResponseRowBlock for any U (exported for the tests against the specialised kernels). */
export function predictionResponseRowGeneric(U: number, row: TangentRow): void {
  const { k, M, N1, Cc, dl: H, Rt, P, out } = row;
  const UU = U * U;
  const S = (k + 1) * UU; // scratch block after P[0..k]
  out.fill(0, 0, (k + 1) * UU);
  for (let i = 0; i < M; i++) {
    const base = i * N1 * UU;
    setIdentity(U, P, k * UU);
    for (let s = k - 1; s >= 0; s--) {
      const co = base + s * UU;
      let zero = true;
      for (let e = 0; e < UU; e++) if (Cc[co + e] !== 0) zero = false;
      if (zero) {
        P.fill(0, s * UU, (s + 1) * UU);
        continue;
      }
      P.fill(0, S, S + UU);
      for (let a = s + 1; a <= k; a++) mulAdd(U, P, a * UU, Rt, (s * N1 + a) * UU, P, S);
      P.fill(0, s * UU, (s + 1) * UU);
      mulAdd(U, P, S, Cc, co, P, s * UU);
    }
    for (let s = 0; s <= k; s++) mulAdd(U, H, i * UU, P, s * UU, out, s * UU);
  }
}

/** predictionResponseRowBlock for U = 2 with the 2 x 2 products unrolled (the common committee case). */
function predictionResponseRow2(row: TangentRow): void {
  const { k, M, N1, Cc, dl: H, Rt, P, out } = row;
  out.fill(0, 0, (k + 1) * 4);
  for (let i = 0; i < M; i++) {
    const base = i * N1 * 4;
    const pk = k * 4;
    P[pk] = 1;
    P[pk + 1] = 0;
    P[pk + 2] = 0;
    P[pk + 3] = 1;
    for (let s = k - 1; s >= 0; s--) {
      const co = base + s * 4;
      const c00 = Cc[co];
      const c01 = Cc[co + 1];
      const c10 = Cc[co + 2];
      const c11 = Cc[co + 3];
      const ps = s * 4;
      if (c00 === 0 && c01 === 0 && c10 === 0 && c11 === 0) {
        P[ps] = 0;
        P[ps + 1] = 0;
        P[ps + 2] = 0;
        P[ps + 3] = 0;
        continue;
      }
      let s00 = 0;
      let s01 = 0;
      let s10 = 0;
      let s11 = 0;
      const rb = s * N1 * 4;
      for (let a = s + 1; a <= k; a++) {
        const pa = a * 4;
        const ra = rb + pa;
        const p00 = P[pa];
        const p01 = P[pa + 1];
        const p10 = P[pa + 2];
        const p11 = P[pa + 3];
        const r00 = Rt[ra];
        const r01 = Rt[ra + 1];
        const r10 = Rt[ra + 2];
        const r11 = Rt[ra + 3];
        s00 += p00 * r00 + p01 * r10;
        s01 += p00 * r01 + p01 * r11;
        s10 += p10 * r00 + p11 * r10;
        s11 += p10 * r01 + p11 * r11;
      }
      P[ps] = s00 * c00 + s01 * c10;
      P[ps + 1] = s00 * c01 + s01 * c11;
      P[ps + 2] = s10 * c00 + s11 * c10;
      P[ps + 3] = s10 * c01 + s11 * c11;
    }
    const ho = i * 4;
    const h00 = H[ho];
    const h01 = H[ho + 1];
    const h10 = H[ho + 2];
    const h11 = H[ho + 3];
    for (let s = 0; s <= k; s++) {
      const ps = s * 4;
      out[ps] += h00 * P[ps] + h01 * P[ps + 2];
      out[ps + 1] += h00 * P[ps + 1] + h01 * P[ps + 3];
      out[ps + 2] += h10 * P[ps] + h11 * P[ps + 2];
      out[ps + 3] += h10 * P[ps + 1] + h11 * P[ps + 3];
    }
  }
}

/**
 * Parameter side with a non-quadratic penalty (acting entry-wise): out[s] = sum_i d theta^i_{k+1} / d nu_s.
 * Q[k+1] = I, Q[j] = Q[j+1] diag(1 - D h'(theta_j)) - D sum_{a=j..k} Q[a+1] rho[a,j]; d theta_{k+1}/d nu_s = Q[s+1].
 * `Th[(j U + b) M + i]` is the theta history (column-major); `rhoT[(j N1 + a) UU] = rho[a,j]`; `Q` scratch >= (k + 3) UU.
 */
export function paramResponseRowBlock(U: number, row: ParamRow): void {
  if (U === 1) paramResponseRow(row);
  else paramResponseRowGeneric(U, row);
}

/** paramResponseRowBlock for any U (exported for the test against the scalar kernel). */
export function paramResponseRowGeneric(U: number, row: ParamRow): void {
  const { k, M, N1, D, Th, dh, rhoT, Q, out } = row;
  const UU = U * U;
  const S = (k + 2) * UU;
  out.fill(0, 0, (k + 1) * UU);
  for (let i = 0; i < M; i++) {
    setIdentity(U, Q, (k + 1) * UU);
    for (let j = k; j >= 1; j--) {
      Q.fill(0, S, S + UU);
      for (let a = j; a <= k; a++) mulAdd(U, Q, (a + 1) * UU, rhoT, (j * N1 + a) * UU, Q, S);
      for (let a = 0; a < U; a++) {
        for (let b = 0; b < U; b++) {
          Q[j * UU + a * U + b] =
            Q[(j + 1) * UU + a * U + b] * (1 - D * dh(Th[(j * U + b) * M + i])) - D * Q[S + a * U + b];
        }
      }
    }
    for (let s = 0; s <= k; s++) for (let e = 0; e < UU; e++) out[s * UU + e] += Q[(s + 1) * UU + e];
  }
}
