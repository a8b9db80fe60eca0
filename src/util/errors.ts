// Error types that carry the CLI exit code. Everything a user can cause (bad model file, bad option,
// impossible size) is a UsageError (exit 2); a run that fails on valid input is a RunError (exit 1).

/** Bad input or usage: malformed model file, unknown symbol, non-finite parameter, impossible size. Exit 2. */
export class UsageError extends Error {
  readonly exitCode = 2;
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

/** A run that failed on valid input: solver blow-up, validation failure, I/O failure. Exit 1. */
export class RunError extends Error {
  readonly exitCode = 1;
  constructor(message: string) {
    super(message);
    this.name = "RunError";
  }
}

/** Exit code for any thrown value: 2 for UsageError, 1 otherwise. */
export function exitCodeOf(err: unknown): number {
  return err instanceof UsageError ? 2 : 1;
}

/** Refuse, before allocating, a job whose estimated memory exceeds the budget (default 16 GiB). */
export function checkMemory(what: string, bytes: number, budgetBytes = 16 * 2 ** 30): void {
  if (!Number.isFinite(bytes) || bytes > budgetBytes) {
    const gib = (b: number) => (b / 2 ** 30).toFixed(2);
    throw new UsageError(
      `${what} needs about ${gib(bytes)} GiB of memory, more than the ${gib(budgetBytes)} GiB budget; reduce the size`,
    );
  }
}
