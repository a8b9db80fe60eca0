// Small statistics shared by the simulators and the Monte-Carlo solver.

/**
 * Entry-wise mean and standard error (sd / sqrt(R)) over R equally long rows (independent seeds or groups).
 * With a single row the standard errors are NaN.
 */
export function meanAndStderr(rows: ArrayLike<number>[]): { mean: number[]; stderr: number[] } {
  const R = rows.length;
  const len = rows[0].length;
  const mean = new Array<number>(len);
  const stderr = new Array<number>(len);
  for (let k = 0; k < len; k++) {
    let s = 0;
    for (const r of rows) s += r[k];
    const mu = s / R;
    let v = 0;
    for (const r of rows) v += (r[k] - mu) ** 2;
    mean[k] = mu;
    stderr[k] = R > 1 ? Math.sqrt(v / (R - 1) / R) : Number.NaN;
  }
  return { mean, stderr };
}
