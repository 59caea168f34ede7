import type { Job, NewJobRow } from '../interfaces';
import type { JobsRepository } from './jobs.repository';

interface Waiting {
  row: NewJobRow;
  resolve(job: Job): void;
  reject(err: unknown): void;
}

/** Most rows one coalesced insert carries. */
const MAX_BATCH = 1_000;

/**
 * Coalesces single enqueues made at the same time (16 request handlers each enqueuing one job, say)
 * into one insert statement and one commit. The first enqueue on an idle node goes out at once;
 * those that arrive while inserts are in flight (two at most) go together in the next. Each caller's promise
 * resolves only once its own row is committed. If a batch fails, its rows are inserted one by one
 * again, so each caller gets its own outcome: a row the database refuses fails only its caller.
 * Rows with an idempotency key, or in a caller's transaction, do not come here.
 */
export class InsertCoalescer {
  private waiting: Waiting[] = [];
  /** Inserts in flight (at most `maxInFlight`): two overlap their round trips and commits. */
  private inFlight = 0;

  constructor(
    private readonly jobs: JobsRepository,
    /** Told when a batch fails and its rows go one by one (a broken batch must not pass unseen). */
    private readonly onBatchError: (err: unknown, rows: number) => void = () => undefined,
    private readonly maxInFlight = 2,
  ) {}

  insert(row: NewJobRow): Promise<Job> {
    return new Promise<Job>((resolve, reject) => {
      this.waiting.push({ row, resolve, reject });
      if (this.inFlight < this.maxInFlight) void this.flush();
    });
  }

  /** One writer: takes what waits, batch after batch, until nothing does. */
  private async flush(): Promise<void> {
    this.inFlight += 1;
    try {
      // Enqueues made in the same turn of the event loop share the statement.
      await new Promise<void>((resolve) => setImmediate(resolve));
      while (this.waiting.length > 0) {
        const batch = this.waiting.splice(0, MAX_BATCH);
        await this.write(batch);
      }
    } finally {
      this.inFlight -= 1;
    }
  }

  private async write(batch: Waiting[]): Promise<void> {
    if (batch.length === 1) {
      await this.one(batch[0]);
      return;
    }
    let jobs: Array<Job | null>;
    try {
      jobs = await this.jobs.insertMany(batch.map((w) => w.row));
    } catch (err) {
      // Nothing of the batch was written: each row again on its own, for its own outcome.
      this.onBatchError(err, batch.length);
      await Promise.all(batch.map((w) => this.one(w)));
      return;
    }
    batch.forEach((w, i) => w.resolve(jobs[i]!));
  }

  private async one(w: Waiting): Promise<void> {
    try {
      const job = await this.jobs.insertOne(w.row);
      if (!job) throw new Error('Insert of a job without an idempotency key returned no row');
      w.resolve(job);
    } catch (err) {
      w.reject(err);
    }
  }
}
