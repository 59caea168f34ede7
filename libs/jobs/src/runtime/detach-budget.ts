/**
 * The node-wide allowance of detached handlers: timed-out handlers that ignored their signal and
 * were let go of, so that their worker slot could run another job. Owned by the runner and shared
 * by its queue workers. At most `max` are detached at once; `max = 0` never detaches.
 *
 * A hung handler that finds the budget full may `wait()` for a place: when a detached handler
 * returns, its place goes to the handler that has waited longest (it is detached then, freeing its
 * slot). The waiter cancels its wait when its handler returns first.
 */
export class DetachBudget {
  private current = 0;
  private detachedEver = 0;
  /** Hung handlers still holding their slot, oldest first (a `Set` iterates in insertion order). */
  private readonly waiting = new Set<() => void>();

  constructor(readonly max: number) {}

  /** Handlers detached now (not returned yet). */
  get detached(): number {
    return this.current;
  }

  /** Handlers detached since start. */
  get detachedTotal(): number {
    return this.detachedEver;
  }

  /** Takes a place if one is free. */
  tryAcquire(): boolean {
    if (this.current >= this.max) return false;
    this.current += 1;
    this.detachedEver += 1;
    return true;
  }

  /** A detached handler returned: its place goes to the oldest waiter, if any. */
  release(): void {
    this.current = Math.max(0, this.current - 1);
    for (const detach of this.waiting) {
      if (!this.tryAcquire()) return;
      this.waiting.delete(detach);
      detach();
    }
  }

  /** Calls `detach` (with a place taken) once one frees up; returns the function that cancels the wait. */
  wait(detach: () => void): () => void {
    this.waiting.add(detach);
    return () => this.waiting.delete(detach);
  }
}
