import type { JobStateRow } from '../storage/change-feed.repository';
import type { JobsStorage } from '../storage/jobs-storage';

/** Finished jobs read per tick (the oldest first; a larger burst is read over the next ticks). */
const FINISHED_PER_TICK = 5_000;
/** How far behind the database's clock the mark stays: a finishing transaction takes its time at
 * its start and commits later, so rows can appear with a finish time a little in the past. */
const COMMIT_LAG_MS = 2_000;

/**
 * The change feed's read of finished jobs: every job that completed, failed or was canceled since
 * the feed started, whether or not the feed had seen it before (a page may have loaded it earlier).
 * It walks the finished-jobs index by (finished_at, id) from a mark that stays `COMMIT_LAG_MS`
 * behind the database's clock; rows newer than the mark are read again on the next ticks and
 * reported once (remembered until the mark passes them).
 */
export class FinishedJobsFollower {
  private mark: { key: string; id: string } | null = null;
  /** Reported rows newer than the mark: id -> finish time. */
  private reported = new Map<string, string>();

  constructor(private readonly storage: JobsStorage) {}

  /** The jobs finished since the last call that were not reported yet (none on the first call). */
  async read(): Promise<JobStateRow[]> {
    const feed = this.storage.changes;
    if (this.mark === null) {
      this.mark = { key: await feed.horizon(0), id: '0' };
      return [];
    }
    const [rows, horizon] = await Promise.all([
      feed.finishedSince(this.mark, FINISHED_PER_TICK),
      feed.horizon(COMMIT_LAG_MS),
    ]);
    const fresh: JobStateRow[] = [];
    for (const row of rows) {
      if (this.reported.get(row.id) === row.key) continue;
      this.reported.set(row.id, row.key);
      fresh.push({ id: row.id, state: row.state, queue: row.queue, type: row.type });
    }
    // A full read moves the mark to its last row, unless that is past the horizon (rows there are
    // read again until the horizon passes them); otherwise the mark follows the horizon.
    const last = rows[rows.length - 1];
    const next = rows.length === FINISHED_PER_TICK && last.key <= horizon ? last : { key: horizon, id: '0' };
    if (next.key > this.mark.key || (next.key === this.mark.key && BigInt(next.id) > BigInt(this.mark.id))) {
      this.mark = { key: next.key, id: next.id };
    }
    for (const [id, key] of this.reported) if (key < this.mark.key) this.reported.delete(id);
    return fresh;
  }
}
