import type { RunningAttempt } from './running-attempt';

/** Most jobs a queue loop holds claimed but not started. */
export const MAX_PREFETCH = 500;
/** The prefetch covers the starts expected during this many claim round trips (measured). */
const HORIZON_ROUND_TRIPS = 2;
/** ...and never less than this much time, in ms. */
const MIN_HORIZON_MS = 2;
/** Rate samples shorter than this are merged into the next one. */
const MIN_SAMPLE_MS = 10;
/** Time constant of the start rate's moving average: a pause this long takes ~63 % of it away. */
const RATE_TAU_MS = 100;
/** Jobs whose handlers take longer than this (a moving average) are never prefetched: a slot frees up
 * too seldom for a claim's round trip to matter, and a job held here would wait for one while another
 * node could start it now. */
export const PREFETCH_MAX_JOB_MS = 100;
/** ...and never more of them than the loop's slots start in this long at the observed duration: a
 * prefetched job waits at most about this, and a crash costs attempts to no more than that. */
const PREFETCH_MAX_WAIT_MS = 250;

/**
 * A queue loop's prefetch: jobs claimed (and counted started) beyond its free slots when the queue
 * has a backlog, so that a slot that frees up starts the next job without waiting for a claim's
 * round trip. It covers the starts expected during about two claim round trips at the loop's
 * current start rate (a moving average over about 100 ms): fast jobs get a deeper prefetch (up to
 * `MAX_PREFETCH`, and no more than the slots start in `PREFETCH_MAX_WAIT_MS`, so a slow claim on a
 * loaded server does not make a node hoard hundreds of jobs others could run). Only for fast jobs (`PREFETCH_MAX_JOB_MS`, by the handlers' observed durations;
 * none until some were seen): a slow job is claimed only for a free slot, so it never waits here while
 * an idle node could run it. So a crash of the node costs an attempt only to the jobs it would have
 * started within those round trips.
 */
export class Prefetch {
  /** Claimed, not started, in claim order. */
  private queue: RunningAttempt[] = [];
  /** Whether the last claim came back with more jobs than free slots: the queue has a backlog. */
  private backlog = false;
  /** Round trip of the last claims (a moving average), in ms. */
  private claimRttMs = 1;
  /** A floor under the target while the start rate is still being learned: doubled each time a
   * claim comes back to idle slots and nothing prefetched (the prefetch was too small), decaying
   * otherwise. It lets a loop reach its pace in a few claims instead of a rate window. */
  private boost = 0;
  private ratePerMs = 0;
  private sampleStart = performance.now();
  private sampleStarts = 0;
  /** Handlers' durations (a moving average), in ms; null until one ended. */
  private durationMs: number | null = null;

  get size(): number {
    return this.queue.length;
  }

  /** Whether the loop's jobs are fast enough to be prefetched. */
  get fast(): boolean {
    return this.durationMs !== null && this.durationMs < PREFETCH_MAX_JOB_MS;
  }

  /** A handler took `ms`. */
  observeDuration(ms: number): void {
    this.durationMs = this.durationMs === null ? ms : this.durationMs + 0.2 * (ms - this.durationMs);
  }

  /** Whether the last claim found more jobs than free slots. */
  get hasBacklog(): boolean {
    return this.backlog;
  }

  /** How many jobs to claim now for `free` of `slots` slots (0: none). */
  want(free: number, slots: number): number {
    const target = this.target(slots);
    // Claim when the prefetch is empty and slots are idle, or to refill it before it runs dry: at half
    // its target. (Idle slots with prefetched jobs wait for those to be armed.)
    if (this.queue.length > 0 && this.queue.length > target / 2) return 0;
    // Fast jobs: one beyond the free slots at least (if it comes back, the queue has a backlog).
    return free + Math.max(target, free > 0 && this.fast ? 1 : 0) - this.queue.length;
  }

  /** Jobs to claim beyond the free slots now: none unless the queue has a backlog (a job that
   * arrives in an idle queue is claimed when a slot is free, so it cannot wait behind others). */
  private target(slots: number): number {
    const rate = this.rate();
    const horizonMs = Math.max(MIN_HORIZON_MS, HORIZON_ROUND_TRIPS * this.claimRttMs);
    if (!this.fast || !this.backlog) return 0;
    const waitCap = Math.floor((slots * PREFETCH_MAX_WAIT_MS) / Math.max(0.01, this.durationMs ?? 0));
    return Math.min(MAX_PREFETCH, waitCap, Math.max(this.boost, Math.floor(rate * horizonMs)));
  }

  /**
   * A claim for `free` slots (`want` jobs in all) got `got` jobs in `ms`: more than the slots, or all it
   * asked for, means a backlog. `idle`: slots that sat idle when it came back, with nothing prefetched
   * (starved).
   */
  claimed(free: number, want: number, got: number, ms: number, idle: number): void {
    this.backlog = got > free || (got > 0 && got === want);
    this.claimRttMs += 0.3 * (ms - this.claimRttMs);
    if (this.backlog && idle > 0 && this.queue.length === 0)
      this.boost = Math.min(MAX_PREFETCH, Math.max(1, this.boost) * 2);
    else this.boost = Math.floor(this.boost * 0.8);
  }

  add(attempt: RunningAttempt): void {
    this.queue.push(attempt);
  }

  /** A job that could not start yet goes first again. */
  putBack(attempt: RunningAttempt): void {
    this.queue.unshift(attempt);
  }

  /** The next job to start, or undefined. */
  take(): RunningAttempt | undefined {
    const attempt = this.queue.shift();
    if (attempt) this.sampleStarts += 1;
    return attempt;
  }

  /** A job started without passing through the prefetch (the claim's free slots). */
  countStart(): void {
    this.sampleStarts += 1;
  }

  /** Removes one job (canceled, lease lost); true if it was here. */
  remove(attempt: RunningAttempt): boolean {
    const i = this.queue.indexOf(attempt);
    if (i < 0) return false;
    this.queue.splice(i, 1);
    return true;
  }

  /** Empties the prefetch (shutdown); returns what it held. */
  drain(): RunningAttempt[] {
    const all = this.queue;
    this.queue = [];
    return all;
  }

  private rate(): number {
    const now = performance.now();
    const elapsed = now - this.sampleStart;
    if (elapsed >= MIN_SAMPLE_MS) {
      // Weighted by the time the sample covers: a long pause (hung or slow handlers) brings the
      // rate, and with it the prefetch, down to nothing.
      const rate = this.sampleStarts / elapsed;
      this.ratePerMs += (1 - Math.exp(-elapsed / RATE_TAU_MS)) * (rate - this.ratePerMs);
      this.sampleStart = now;
      this.sampleStarts = 0;
    }
    return this.ratePerMs;
  }
}
