/**
 * At most `limit` holders at once and at most `queue` waiting for a turn: a burst is served in turn
 * up to that bound and refused at once past it, instead of queueing without end for a resource
 * shared with everything else (the pool). Waiters get their turn in arrival order.
 */
export class ConcurrencyGate {
  private active = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(
    readonly limit: number,
    readonly queue: number,
  ) {}

  /** Resolves with the release function once in; null at once when the waiting line is full. */
  enter(): Promise<() => void> | null {
    if (this.active < this.limit) {
      this.active++;
      return Promise.resolve(this.releaser());
    }
    if (this.waiting.length >= this.queue) return null;
    return new Promise((resolve) => this.waiting.push(() => resolve(this.releaser())));
  }

  /** Holders and waiters now (for tests and metrics). */
  get load(): { active: number; waiting: number } {
    return { active: this.active, waiting: this.waiting.length };
  }

  private releaser(): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.waiting.shift();
      // The slot passes straight to the next waiter; `active` only drops when nobody waits.
      if (next) next();
      else this.active--;
    };
  }
}
