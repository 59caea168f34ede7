import type { JobState } from '../interfaces';
import type { Database } from './database';
import { changeFeedStatements } from './statements/change-feed.sql';
import { withValues } from './statements/statement';

/** A job as the change feed reports it. */
export interface JobStateRow {
  id: string;
  state: JobState;
  queue: string;
  type: string;
}

/** The change feed's reads: new jobs, the state of watched ones, the running ones. */
export class ChangeFeedRepository {
  private readonly sql;

  constructor(private readonly db: Database) {
    this.sql = changeFeedStatements(db.names);
  }

  async maxId(): Promise<string> {
    return (await this.db.query<{ id: string }>(this.sql.maxId)).rows[0].id;
  }

  /** The newest jobs after `afterId`, at most `limit`, newest first. */
  async newJobs(afterId: string, limit: number): Promise<JobStateRow[]> {
    return (await this.db.query<JobStateRow>(withValues(this.sql.newJobs, [afterId, limit]))).rows;
  }

  async states(ids: string[]): Promise<JobStateRow[]> {
    if (ids.length === 0) return [];
    return (await this.db.query<JobStateRow>(withValues(this.sql.jobStates, [ids]))).rows;
  }

  /** Jobs finished after the mark (finish time as exact UTC text, id), in finish order. */
  async finishedSince(mark: { key: string; id: string }, limit: number): Promise<Array<JobStateRow & { key: string }>> {
    const res = await this.db.query<JobStateRow & { key: string }>(
      withValues(this.sql.finishedSince, [mark.key, mark.id, limit]),
    );
    return res.rows;
  }

  /** The database's now minus `lagMs`, as exact UTC text. */
  async horizon(lagMs: number): Promise<string> {
    return (await this.db.query<{ horizon: string }>(withValues(this.sql.horizon, [lagMs]))).rows[0].horizon;
  }

  async running(limit: number): Promise<JobStateRow[]> {
    return (await this.db.query<JobStateRow>(withValues(this.sql.running, [limit]))).rows;
  }
}
