import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Coalesces writes: items pushed while a write is in flight go out together in the next one, so a
 * busy node writes in large batches and an idle one writes at once. A failed write (the database is
 * away) is retried with backoff, keeping its items; nothing is dropped. At most one write is in
 * flight, and the buffer is bounded by the node's running jobs, since claims stop with the database.
 */
export class WriteBatcher<T> {
  private buffer: T[] = [];
  private running: Promise<void> | null = null;
  private retryDelayMs = 0;
  private closed = false;

  constructor(
    private readonly write: (items: T[]) => Promise<void>,
    private readonly onError: (err: unknown, items: number) => void,
    private readonly maxBatch = 1_000,
    /** A second at most: once the database is back, what waited is written within a second. */
    private readonly maxRetryDelayMs = 1_000,
  ) {}

  get size(): number {
    return this.buffer.length;
  }

  push(item: T): void {
    this.buffer.push(item);
    if (!this.running && !this.closed) this.running = this.drain();
  }

  /**
   * Stops retrying, for a node whose shutdown deadline has passed: returns how many items were
   * never written. Their jobs stay `running` in the database and are recovered by liveness or lease
   * expiry (and run again: at least once), so a process whose database is gone can still exit.
   */
  close(): number {
    this.closed = true;
    const dropped = this.buffer.length;
    this.buffer = [];
    return dropped;
  }

  /** Resolves once everything pushed so far is written (or `give up` is reached by the deadline). */
  async flush(deadline = Infinity): Promise<boolean> {
    while ((this.running || this.buffer.length > 0) && Date.now() < deadline) {
      if (!this.running) this.running = this.drain();
      await Promise.race([this.running, sleep(Math.max(1, deadline - Date.now()), undefined, { ref: false })]);
    }
    return this.buffer.length === 0 && !this.running;
  }

  private async drain(): Promise<void> {
    await new Promise<void>((resolve) => setImmediate(resolve));
    try {
      while (this.buffer.length > 0 && !this.closed) {
        const batch = this.buffer.splice(0, this.maxBatch);
        try {
          await this.write(batch);
          this.retryDelayMs = 0;
        } catch (err) {
          if (this.closed) return;
          this.buffer.unshift(...batch);
          this.onError(err, batch.length);
          this.retryDelayMs = Math.min(this.maxRetryDelayMs, Math.max(50, this.retryDelayMs * 2));
          await sleep(this.retryDelayMs, undefined, { ref: false });
        }
      }
    } finally {
      this.running = null;
    }
  }
}
