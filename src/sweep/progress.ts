// The sweep's progress line on stderr: points done/total, failures, elapsed time and ETA. On a TTY one line
// rewritten in place; otherwise (logs, SLURM) one line per finished point.

function clock(seconds: number): string {
  if (!Number.isFinite(seconds)) return "?";
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, "0");
  return h > 0 ? `${h}:${String(m).padStart(2, "0")}:${ss}` : `${m}:${ss}`;
}

export interface Progress {
  /** One more point finished (ok or failed). */
  tick(failed?: boolean): void;
  stop(): void;
}

/** `total` points to compute now (stored ones are not counted); silent when quiet. */
export function progress(label: string, total: number, quiet: boolean): Progress {
  if (quiet || total === 0) return { tick: () => {}, stop: () => {} };
  const tty = Boolean(process.stderr.isTTY);
  const start = performance.now();
  let done = 0;
  let failed = 0;
  const line = () => {
    const elapsed = (performance.now() - start) / 1000;
    const eta = done > 0 ? (elapsed / done) * (total - done) : Number.NaN;
    const fail = failed > 0 ? `, ${failed} failed` : "";
    return `${label}: ${done}/${total} points${fail} | ${clock(elapsed)} elapsed, ETA ${done === total ? "0:00" : clock(eta)}`;
  };
  if (tty) process.stderr.write(line());
  return {
    tick(f = false) {
      done++;
      if (f) failed++;
      process.stderr.write(tty ? `\r\x1b[K${line()}` : `${line()}\n`);
    },
    stop() {
      if (tty) process.stderr.write("\n");
    },
  };
}
