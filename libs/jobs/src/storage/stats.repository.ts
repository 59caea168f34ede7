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
export class StatsRepository {
  private readonly sql;

  constructor(private readonly db: Database) {
    this.sql = statsStatements(db.names);
  }

  /**
   * Every job counted by queue and state within `timeoutMs`; past it, only the unfinished states
   * (served by their partial indexes), with `exact: false`. Also the oldest ready job per queue.
   */
  async counts(
    timeoutMs: number,
  ): Promise<{ rows: StateCountRow[]; exact: boolean; oldest: Array<{ queue: string; oldest: Date }> }> {
    const timeout = `SET LOCAL statement_timeout = ${Math.floor(timeoutMs)}`;
    const read = <R>(statement: { text: string }) =>
      this.db.transaction(async (client) => {
        await client.query(timeout);
        return (await client.query<R & object>(statement.text)).rows as R[];
      });
    let rows: StateCountRow[];
    let exact = true;
    try {
      rows = await read<StateCountRow>(this.sql.countAll);
    } catch (err) {
      if ((err as { code?: string }).code !== STATEMENT_TIMEOUT) throw err;
      exact = false;
      rows = await read<StateCountRow>(this.sql.countLive);
    }
    const oldest = await read<{ queue: string; oldest: Date }>(this.sql.oldestPending);
    return { rows, exact, oldest };
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
