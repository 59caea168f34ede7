/**
 * A read that keeps failing is tried less and less often: after a failure the next try waits
 * `firstMs`, doubling per failure up to `maxMs`, and a success ends it. The caller logs the first
 * failure (`failed` returns true) and the recovery (`succeeded` returns how long it failed), once each,
 * so a lasting failure is neither repeated in a tight loop nor logged on every try.
 */
export class FailureBackoff<E = Error> {
  private state: { error: E; since: number; retryAt: number; waitMs: number } | null = null;

  constructor(
    private readonly firstMs: number,
    private readonly maxMs: number,
  ) {}

  /** The standing failure while its wait lasts (no new try before then); null: try now. */
  waiting(now = Date.now()): E | null {
    return this.state && now < this.state.retryAt ? this.state.error : null;
  }

  /** A try failed; true when it is the first failure since the last success. */
  failed(error: E, now = Date.now()): boolean {
    const before = this.state;
    const waitMs = before ? Math.min(this.maxMs, before.waitMs * 2) : this.firstMs;
    this.state = { error, since: before?.since ?? now, retryAt: now + waitMs, waitMs };
    return before === null;
  }

  /** A try succeeded; returns for how long it had been failing (ms), or null if it was not. */
  succeeded(now = Date.now()): number | null {
    const since = this.state?.since ?? null;
    this.state = null;
    return since === null ? null : now - since;
  }
}
