import type { JobState } from '../interfaces';
import type { Database } from './database';
import { withValues } from './statements/statement';
import { statsStatements } from './statements/stats.sql';

/** Jobs of one queue in one state. */
export interface StateCountRow {
  queue: string;
  state: JobState;
  n: string;
}

/** Per-minute outcome counts of one queue. */
export interface MinuteRow {
  queue: string;
  minute: Date;
  completed: number;
  failed: number;
  retried: number;
}

const STATEMENT_TIMEOUT = '57014';

/** The queue statistics' reads and the throughput roll-up's writes. */
/** Past this many jobs (the planner's count), the finished states are estimated, not counted. */
export const ESTIMATE_ABOVE = 200_000;
/** Rows the estimate samples (about). */
const SAMPLE_ROWS = 100_000;

export class StatsRepository {
  private readonly sql;

  constructor(private readonly db: Database) {
    this.sql = statsStatements(db.names);
  }

  /**
   * Jobs counted by queue and state. Up to `ESTIMATE_ABOVE` jobs (the planner's count): every job,
   * within `timeoutMs`. Beyond, or when that runs out of time: the unfinished states counted (their
   * partial indexes) and the finished ones estimated from a sample of about `SAMPLE_ROWS` rows, with
   * `exact: false` (`timedOut` says which). Also the oldest ready job per queue.
   */
  async counts(timeoutMs: number): Promise<{
    rows: StateCountRow[];
    exact: boolean;
    timedOut: boolean;
    oldest: Array<{ queue: string; oldest: Date }>;
  }> {
    const timeout = `SET LOCAL statement_timeout = ${Math.floor(timeoutMs)}`;
    const read = <R>(statement: { text: string }, values: unknown[] = []) =>
      this.db.transaction(async (client) => {
        await client.query(timeout);
        return (await client.query<R & object>(statement.text, values)).rows as R[];
      });
    const size = (await this.db.query<{ n: number }>(this.sql.tableSize)).rows[0]?.n ?? -1;
    let rows: StateCountRow[] | null = null;
    let timedOut = false;
    if (size <= ESTIMATE_ABOVE) {
      try {
        rows = await read<StateCountRow>(this.sql.countAll);
      } catch (err) {
        if ((err as { code?: string }).code !== STATEMENT_TIMEOUT) throw err;
        timedOut = true;
      }
    }
    if (rows === null) {
      const percent = Math.min(100, (100 * SAMPLE_ROWS) / Math.max(size, 1));
      const [live, finished] = await Promise.all([
        read<StateCountRow>(this.sql.countLive),
        read<StateCountRow>(this.sql.countFinishedSampled, [percent]),
      ]);
      rows = [...live, ...finished];
    }
    const oldest = await read<{ queue: string; oldest: Date }>(this.sql.oldestPending);
    return { rows, exact: size <= ESTIMATE_ABOVE && !timedOut, timedOut, oldest };
  }

  /** Adds a node's per-minute outcomes to the roll-up (one statement). */
  async addMinutes(deltas: MinuteRow[]): Promise<void> {
    await this.db.query(
      withValues(this.sql.addMinutes, [
        deltas.map((d) => d.queue),
        deltas.map((d) => d.minute),
        deltas.map((d) => d.completed),
        deltas.map((d) => d.failed),
        deltas.map((d) => d.retried),
      ]),
    );
  }

  async minutesSince(from: Date): Promise<MinuteRow[]> {
    return (await this.db.query<MinuteRow>(withValues(this.sql.minutesSince, [from]))).rows;
  }

  async pruneMinutes(olderThan: Date): Promise<void> {
    await this.db.query(withValues(this.sql.pruneMinutes, [olderThan]));
  }
}
