import type { OwnedAttempt } from '../interfaces';
import type { RunningAttempt } from './running-attempt';

/** Most jobs a queue loop holds claimed but not started. */
export const MAX_PREFETCH = 500;
/** How far ahead the prefetch reaches: about this much work at the measured rate. */
const PREFETCH_HORIZON_MS = 50;
/** How far ahead prefetched jobs are armed (recorded started): twice an arming write's round trip
 * (measured), at least this. */
const MIN_ARM_HORIZON_MS = 2;
/** Rate samples shorter than this are merged into the next one. */
const MIN_SAMPLE_MS = 10;
/** Time constant of the start rate's moving average: a pause this long takes ~63 % of it away. */
const RATE_TAU_MS = 100;

/**
 * A queue loop's prefetch: jobs claimed beyond its free slots, so that a slot that frees up starts
 * the next job without waiting for a claim. The claim counts their attempts, but a prefetched job
 * is only *armed* (recorded started, `started_at` set) just before it starts, a few at a time ahead
 * of need: a crash of the node puts the unarmed ones back with their attempt uncounted (see
 * requeue-lost.sql.ts), and costs an attempt only to the armed ones, about two writes' round trips
 * of work. Sizes follow the loop's start rate (a moving average over about 100 ms), so fast jobs
 * get a deep prefetch (up to `MAX_PREFETCH`) and slow ones little or none.
 */
export class Prefetch {
  /** Claimed, not started, in claim order; the armed ones first. */
  private queue: RunningAttempt[] = [];
  private armedCount = 0;
  /** Whether the last claim came back with more jobs than free slots: the queue has a backlog. */
  private backlog = false;
  /** Round trip of the last arming writes (a moving average), in ms. */
  private armRttMs = 1;
  private ratePerMs = 0;
  private sampleStart = performance.now();
  private sampleStarts = 0;

  get size(): number {
    return this.queue.length;
  }

  /** Jobs to claim beyond the free slots now: none unless the queue has a backlog (a job that
   * arrives in an idle queue is claimed when a slot is free, so it cannot wait behind others). */
  target(): number {
    const rate = this.rate();
    return this.backlog ? Math.min(MAX_PREFETCH, Math.floor(rate * PREFETCH_HORIZON_MS)) : 0;
  }

  /** Whether the last claim found more jobs than free slots. */
  get hasBacklog(): boolean {
    return this.backlog;
  }

  /** A claim for `free` slots (and more) got `got` jobs: more than the slots means a backlog. */
  claimed(free: number, got: number): void {
    this.backlog = got > free;
  }

  /** Adds claimed jobs (armed if the claim started them). */
  add(attempt: RunningAttempt, armed: boolean): void {
    if (armed) {
      this.queue.splice(this.armedCount, 0, attempt);
      this.armedCount += 1;
    } else this.queue.push(attempt);
  }

  /** The next armed job, to start now; undefined when none is armed. */
  takeArmed(): RunningAttempt | undefined {
    if (this.armedCount === 0) return undefined;
    this.armedCount -= 1;
    this.sampleStarts += 1;
    return this.queue.shift();
  }

  /** A job started without passing through the prefetch (the claim started it). */
  countStart(): void {
    this.sampleStarts += 1;
  }

  /** An arming write took `ms`. */
  armTook(ms: number): void {
    this.armRttMs += 0.3 * (ms - this.armRttMs);
  }

  /** Unarmed jobs to arm now, so that `free` slots, and the starts expected until the next arming
   * write returns, find armed jobs; or []. */
  toArm(free: number): RunningAttempt[] {
    const horizonMs = Math.max(MIN_ARM_HORIZON_MS, 2 * this.armRttMs);
    const want = Math.max(free, Math.ceil(this.rate() * horizonMs)) - this.armedCount;
    if (want <= 0) return [];
    return this.queue.slice(this.armedCount, this.armedCount + want);
  }

  /** `attempts` were armed (the ones still in the queue move to the armed part, in order). */
  armed(attempts: RunningAttempt[]): void {
    const armed = new Set(attempts);
    const rest = this.queue.slice(this.armedCount);
    const nowArmed = rest.filter((a) => armed.has(a));
    this.queue = [...this.queue.slice(0, this.armedCount), ...nowArmed, ...rest.filter((a) => !armed.has(a))];
    this.armedCount += nowArmed.length;
  }

  /** Removes one job (canceled, lease lost); true if it was here. */
  remove(attempt: RunningAttempt): boolean {
    const i = this.queue.indexOf(attempt);
    if (i < 0) return false;
    this.queue.splice(i, 1);
    if (i < this.armedCount) this.armedCount -= 1;
    return true;
  }

  /** Empties the prefetch (shutdown); returns what it held. */
  drain(): OwnedAttempt[] {
    const all = this.queue.map((a) => ({ id: a.job.id, attempt: a.job.attempts }));
    this.queue = [];
    this.armedCount = 0;
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
