import { InvalidJobOptionsError, QueueFullError } from '../errors';

/** Counts a queue's pending + scheduled jobs, stopping at `atMost` (so the count stays cheap). */
export type PendingCounter = (queue: string, atMost: number) => Promise<number>;

/** A count older than this is refreshed: in the background while it shows room, at once when full. */
const DEFAULT_REFRESH_MS = 500;
/** Callers waiting for room re-check after a random pause in this range, sharing fresh counts. */
const WAIT_MIN_MS = 100;
const WAIT_MAX_MS = 250;
/** `retryAfterMs` when the queue's drain rate is unknown, and the bounds of the estimate. */
const DEFAULT_RETRY_MS = 1_000;
const MIN_RETRY_MS = 100;
const MAX_RETRY_MS = 60_000;
/** Two counts further apart than this say little about the current drain rate. */
const MAX_RATE_SPAN_MS = 5_000;

interface QueueEstimate {
  /** Pending + scheduled jobs at the last count (capped at limit + 1). */
  counted: number;
  /** When that count started (`performance.now()`, fine enough to order a check and a count
   * within one millisecond); -Infinity before the first. */
  countedAt: number;
  /** Jobs this process reserved room for and is still writing (no count can see them yet). */
  writing: number;
  /** Jobs this process wrote, ever; `written - writtenAtCount` are those written since the count
   * started (a count may see those that landed while it ran: counted twice, on the safe side). */
  written: number;
  writtenAtCount: number;
  /** Jobs per ms leaving the queue, from the last two counts; null when unknown. */
  drainPerMs: number | null;
  refresh: { startedAt: number; done: Promise<void> } | null;
}

/**
 * Backpressure for enqueue (`maxPendingJobs`), per queue and per process: an estimate of the
 * queue's pending + scheduled jobs, made of a bounded count refreshed at most every ~500 ms plus
 * this process's own enqueues since. When the estimate says full, it counts again once before
 * refusing. It is approximate across producers: each process only knows its own enqueues between
 * counts, so the queue can overshoot its cap by what other producers add within one refresh.
 */
export class QueueCapacity {
  private readonly queues = new Map<string, QueueEstimate>();

  constructor(
    private readonly limitOf: (queue: string) => number | null,
    private readonly count: PendingCounter,
    private readonly refreshMs = DEFAULT_REFRESH_MS,
  ) {}

  /**
   * Reserves room for `need` (jobs per queue) in every queue, or none. Throws `QueueFullError`;
   * with `wait`, re-checks every 100-250 ms until there is room, and rejects with `signal`'s reason
   * as soon as it aborts. Report the outcome of the write with `settle`.
   */
  async acquire(
    need: ReadonlyMap<string, number>,
    { wait = false, signal }: { wait?: boolean; signal?: AbortSignal } = {},
  ): Promise<void> {
    signal?.throwIfAborted();
    const limited = [...need].filter(([queue, n]) => n > 0 && this.limitOf(queue) !== null);
    if (limited.length === 0) return;
    for (const [queue, n] of limited) {
      const limit = this.limitOf(queue)!;
      if (n > limit) {
        throw new InvalidJobOptionsError(
          'items',
          `${n} jobs for queue "${queue}" can never fit its ${limit} pending jobs`,
        );
      }
    }
    for (let first = true; ; first = false) {
      const full = await this.tryTake(limited, first);
      if (signal?.aborted) {
        if (!full) this.settle(new Map(limited), new Map());
        throw signal.reason;
      }
      if (!full) return;
      if (!wait) throw new QueueFullError(full.queue, full.limit, this.retryAfterMs(full.queue, full.excess));
      await pause(WAIT_MIN_MS + Math.random() * (WAIT_MAX_MS - WAIT_MIN_MS), signal);
    }
  }

  /** Ends the write of what `acquire` reserved: `written` jobs (per queue) were created, the rest
   * of the room (a failed write, an existing job returned for its key) is given back. */
  settle(reserved: ReadonlyMap<string, number>, written: ReadonlyMap<string, number>): void {
    for (const [queue, n] of reserved) {
      const e = this.queues.get(queue);
      if (!e || this.limitOf(queue) === null) continue;
      e.writing -= n;
      e.written += Math.min(n, written.get(queue) ?? 0);
    }
  }

  /** Takes room in every queue, or returns the first that is full. On the first try a stale count
   * is refreshed in the background, and a full estimate is counted again; a waiter's later tries
   * use a count at most 100 ms old (shared by the waiters). */
  private async tryTake(
    limited: Array<[string, number]>,
    first: boolean,
  ): Promise<{ queue: string; limit: number; excess: number } | null> {
    for (const [queue, n] of limited) {
      const limit = this.limitOf(queue)!;
      const e = this.entry(queue);
      const checkedAt = performance.now();
      if (!first || e.countedAt === -Infinity) await this.refreshed(e, queue, limit, checkedAt - WAIT_MIN_MS);
      else if (checkedAt - e.countedAt > this.refreshMs) {
        this.refreshed(e, queue, limit, checkedAt - this.refreshMs).catch(() => undefined);
      }
      if (first && pendingOf(e) + n > limit && e.countedAt < checkedAt) {
        await this.refreshed(e, queue, limit, checkedAt);
      }
    }
    // No await from here on: check and take together, so concurrent callers cannot both take the last room.
    for (const [queue, n] of limited) {
      const limit = this.limitOf(queue)!;
      const pending = pendingOf(this.entry(queue));
      if (pending + n > limit) return { queue, limit, excess: pending + n - limit };
    }
    for (const [queue, n] of limited) this.entry(queue).writing += n;
    return null;
  }

  private entry(queue: string): QueueEstimate {
    let e = this.queues.get(queue);
    if (!e) {
      e = {
        counted: 0,
        countedAt: -Infinity,
        writing: 0,
        written: 0,
        writtenAtCount: 0,
        drainPerMs: null,
        refresh: null,
      };
      this.queues.set(queue, e);
    }
    return e;
  }

  /** Resolves once `e` holds a count started at `notBefore` or later (joining one in flight). */
  private refreshed(e: QueueEstimate, queue: string, limit: number, notBefore: number): Promise<void> {
    if (e.countedAt >= notBefore) return Promise.resolve();
    if (e.refresh && e.refresh.startedAt >= notBefore) return e.refresh.done;
    const startedAt = performance.now();
    const writtenBefore = e.written;
    const done = this.count(queue, limit + 1)
      .then((counted) => {
        if (startedAt < e.countedAt) return; // a later count landed first
        const span = startedAt - e.countedAt;
        if (span >= WAIT_MIN_MS && span <= MAX_RATE_SPAN_MS) {
          const left = e.counted + (writtenBefore - e.writtenAtCount) - counted;
          e.drainPerMs = left > 0 ? left / span : null;
        }
        e.counted = counted;
        e.countedAt = startedAt;
        e.writtenAtCount = writtenBefore;
      })
      .finally(() => {
        if (e.refresh?.done === done) e.refresh = null;
      });
    e.refresh = { startedAt, done };
    return done;
  }

  /** Time until `excess` jobs have left the queue at its recent drain rate, bounded. */
  private retryAfterMs(queue: string, excess: number): number {
    const rate = this.queues.get(queue)?.drainPerMs;
    if (!rate) return DEFAULT_RETRY_MS;
    return Math.round(Math.min(MAX_RETRY_MS, Math.max(MIN_RETRY_MS, excess / rate)));
  }
}

function pendingOf(e: QueueEstimate): number {
  return e.counted + (e.written - e.writtenAtCount) + e.writing;
}

/** Resolves after `ms`, or rejects with `signal`'s reason as soon as it aborts. */
function pause(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
